// Behaviour that the CSP keeps out of the HTML: focus management around page loads and swaps,
// the print button, keeping the registration version in every form current, and composing a
// request's message.
(function () {
  "use strict";

  // The server marks where focus belongs: the error summary after a failed submit, or an
  // element with data-focus-after-swap (a new DGA row, say).
  function focusMarked(root) {
    var target = root.querySelector("#error-summary, [data-focus-after-swap]");
    if (target) {
      target.focus();
      return true;
    }
    return false;
  }

  function focusLost() {
    var active = document.activeElement;
    return !active || active === document.body || active === document.documentElement || !active.isConnected;
  }

  // Focus a form field with its label (or the legend of its group) scrolled into view too, not
  // only the input at the very top of the window. Not a control (a section): focus it as a region.
  function focusField(field) {
    var fieldset = field.closest("fieldset");
    var legend = fieldset && fieldset.querySelector("legend");
    var label = document.querySelector("label[for='" + field.id + "']");
    var context = (field.type === "radio" && legend) || label || legend || field;
    if (!field.matches("input, select, textarea, button, a[href], [tabindex]")) { field.setAttribute("tabindex", "-1"); }
    context.scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
  }

  // A "wijzigen" link of the check page opens /aanmelden#<field id>: the browser scrolls there,
  // this puts the focus in the field as well.
  function focusLinkedField() {
    var id = window.location.hash.slice(1);
    var field = id && document.getElementById(id);
    if (field && field.closest("#intake-form")) { focusField(field); }
  }

  // "Afdrukken of opslaan als PDF": the button replaces the instruction meant for no JavaScript.
  function offerPrinting() {
    var buttons = document.querySelectorAll("[data-print-button]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].hidden = false;
      var instruction = buttons[i].parentNode.querySelector("[data-print-instruction]");
      if (instruction) { instruction.hidden = true; }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!focusMarked(document)) { focusLinkedField(); }
    offerPrinting();
  });

  document.addEventListener("click", function (event) {
    if (event.target instanceof Element && event.target.closest("[data-print-button] button")) { window.print(); }
  });

  // htmx 4 fires htmx:after:swap on the element that made the request, which an outerHTML swap
  // has just removed from the page (so the event never reaches the document). htmx:after:settle
  // is fired on the content that was swapped in: move focus into it when the server marked a
  // place, or onto the region itself when the focused element was swapped away (a "remove"
  // button), so keyboard and screen-reader users are never dropped at the top of the page.
  // htmx itself puts focus back on a swapped element that has the same id as before.
  document.addEventListener("htmx:after:settle", function (event) {
    var region = event.target;
    if (!(region instanceof Element) || !region.isConnected) { return; }
    if (focusMarked(region) || !focusLost()) { return; }
    if (!region.hasAttribute("tabindex")) { region.setAttribute("tabindex", "-1"); }
    region.focus();
  });

  // Error summary links: focus the field and scroll so that its label (or the legend of its
  // group) is visible too, not only the input at the very top of the window.
  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element && event.target.closest(".error-summary a[href^='#']");
    if (!link) { return; }
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) { return; }
    event.preventDefault();
    focusField(field);
  });

  // Every form on the detail page carries the registration version it was
  // rendered with. After a save of one section the server re-sends what the
  // change affected and announces the new version; forms elsewhere on the page
  // that were current move on with it. Forms already behind stay behind, so a
  // save from them still gets the server's 409 instead of overwriting.
  document.addEventListener("registration:saved", function (event) {
    var detail = event.detail || {};
    if (detail.from == null || detail.to == null) { return; }
    var inputs = document.querySelectorAll('input[type="hidden"][name="version"]');
    for (var i = 0; i < inputs.length; i++) {
      if (inputs[i].value === String(detail.from)) {
        inputs[i].value = String(detail.to);
      }
    }
  });

  // The request form of the detail page: ticking an item adds its standard text to the
  // message, unticking removes it, until the message is edited by hand (then it is left alone).
  function composedMessage(form, textarea) {
    var lines = [textarea.getAttribute("data-request-intro") || ""];
    var ticked = form.querySelectorAll('input[name="request_items"]:checked[data-request-text]');
    if (ticked.length) { lines.push(""); }
    for (var i = 0; i < ticked.length; i++) {
      lines.push("- " + ticked[i].getAttribute("data-request-text"));
    }
    return lines.join("\n").trim();
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement) || box.name !== "request_items") { return; }
    var form = box.closest("[data-request-form]");
    var textarea = form && form.querySelector("textarea[data-request-message]");
    if (!textarea) { return; }
    var last = textarea.getAttribute("data-request-composed") || textarea.getAttribute("data-request-intro") || "";
    if (textarea.value.trim() !== last.trim()) { return; }  // edited by hand: leave it
    textarea.value = composedMessage(form, textarea);
    textarea.setAttribute("data-request-composed", textarea.value);
  });
})();
