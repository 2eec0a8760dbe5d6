// The board's behaviour (the CSP keeps it out of the HTML). Everything here is an
// enhancement: without it every control is still a link or a form that works.
(function () {
  "use strict";

  var openers = new WeakMap(); // card panel -> the control that opened it

  function card(element) {
    return element && element.closest ? element.closest("[data-card]") : null;
  }

  // Focus what the server marked after a swap: the moved card, the first card
  // loaded by "meer laden", or the first field of a move panel.
  function focusMarked(root) {
    if (!root || !root.querySelector) { return; }
    var target = root.matches && root.matches("[data-board-focus]") ? root : root.querySelector("[data-board-focus]");
    if (!target) { return; }
    target.removeAttribute("data-board-focus");
    target.focus({ preventScroll: false });
    if (target.scrollIntoView) { target.scrollIntoView({ block: "nearest", inline: "nearest" }); }
  }

  // Remember which control opened a panel, so "Annuleren" can return focus to it.
  document.addEventListener("click", function (event) {
    var opener = event.target.closest && event.target.closest("[data-board-opener]");
    if (opener) {
      var panel = card(opener) && card(opener).querySelector(".card__panel");
      if (panel) { openers.set(panel, opener); }
      return;
    }
    var cancel = event.target.closest && event.target.closest("[data-board-cancel]");
    var panelOfCancel = cancel && cancel.closest(".card__panel");
    if (panelOfCancel) {
      event.preventDefault();
      closePanel(panelOfCancel);
    }
  });

  function closePanel(panel) {
    var back = openers.get(panel) || card(panel).querySelector("[data-board-opener]");
    panel.replaceChildren();
    var message = card(panel).querySelector(".card__message");
    if (message) { message.replaceChildren(); }
    if (back) { back.focus(); }
  }

  // Escape closes an open move panel, like "Annuleren".
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var panel = event.target.closest && event.target.closest(".card__panel");
    if (panel && panel.firstElementChild) {
      event.preventDefault();
      closePanel(panel);
    }
  });

  // A new attempt on a card clears the previous refusal shown on it.
  document.addEventListener("htmx:before:request", function (event) {
    var source = event.detail && event.detail.ctx && event.detail.ctx.sourceElement;
    var owner = card(source);
    var message = owner && owner.querySelector(".card__message");
    if (message) { message.replaceChildren(); }
  });

  // After a search or filter change, say how many registrations match: the
  // summary is swapped with the columns, so a lasting live region repeats it.
  document.addEventListener("htmx:after:swap", function (event) {
    var source = event.detail && event.detail.ctx && event.detail.ctx.sourceElement;
    var live = document.getElementById("board-live");
    var summary = document.getElementById("board-summary");
    if (live && summary && source && source.closest && source.closest("#board-filters")) {
      live.textContent = summary.textContent.replace(/\s+/g, " ").replace(/·.*$/, "").trim();
    }
  });

  // Keep shared board URLs tidy: leave empty filters out of the query string.
  document.addEventListener("htmx:config:request", function (event) {
    var ctx = event.detail && event.detail.ctx;
    if (!ctx || !ctx.sourceElement || !ctx.sourceElement.closest("#board-filters")) { return; }
    var body = ctx.request && ctx.request.body;
    if (!body || typeof body.entries !== "function") { return; }
    var empty = [];
    body.forEach(function (value, key) { if (value === "") { empty.push(key); } });
    empty.forEach(function (key) { body.delete(key); });
  });

  // Drag and drop on top of the buttons: dropping a card on the next or the
  // previous column does exactly what its "Naar ..." or "Terug" control does.
  function enableDragging(root) {
    if (typeof window.Sortable === "undefined" || !root.querySelectorAll) { return; }
    var lists = Array.prototype.slice.call(root.querySelectorAll(".board-column__cards"));
    if (root.matches(".board-column__cards")) { lists.push(root); }
    lists = lists.filter(function (list) { return list.closest("#board-columns") && !list.dataset.sortable; });
    lists.forEach(function (list) {
      list.dataset.sortable = "on";
      window.Sortable.create(list, {
        group: {
          name: "board",
          pull: true,
          put: function (to, from, dragged) {
            var step = to.el.dataset.step;
            return step === dragged.dataset.next || step === dragged.dataset.prev;
          }
        },
        sort: false,
        draggable: ".card[data-next], .card[data-prev]",
        filter: "button, input, textarea, select, label",
        preventOnFilter: false,
        delay: 180,
        delayOnTouchOnly: true,
        ghostClass: "card--ghost",
        chosenClass: "card--chosen",
        onEnd: dropped
      });
    });
  }

  function dropped(event) {
    var item = event.item;
    if (event.from === event.to) { return; }
    var direction = event.to.dataset.step === item.dataset.next ? "next" : "back";
    // Put the card back; the server's answer re-renders both columns when the move succeeds.
    var anchor = event.from.children[event.oldIndex] || null;
    event.from.insertBefore(item, anchor);
    var form = direction === "next" ? item.querySelector("form.card__move") : null;
    if (form) {
      form.requestSubmit();
      return;
    }
    // The move needs a confirmation or a reason first: open it on the card.
    var opener = item.querySelector(direction === "next" ? ".card__action--next" : ".card__action--back");
    if (opener) { opener.click(); }
  }

  function init(root) {
    focusMarked(root);
    enableDragging(root);
  }

  // New content from HTMX swaps; the page itself may have been processed by htmx
  // before this script ran, so it is set up directly as well (init is idempotent).
  if (window.htmx && typeof window.htmx.onLoad === "function") {
    window.htmx.onLoad(init);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document.body); });
  } else {
    init(document.body);
  }
})();
