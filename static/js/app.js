// Behaviour that the CSP keeps out of the HTML: focus management around swaps,
// and keeping the registration version in every form current.
(function () {
  "use strict";

  function focusWithin(root) {
    var target = root.querySelector("#error-summary, [data-focus-after-swap]");
    if (target) {
      target.focus();
      return true;
    }
    return false;
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusWithin(document);
  });

  // After an HTMX swap, move focus into what changed when the server marked a
  // place for it (a new row, an error summary), so keyboard and screen-reader
  // users are not left on an element that no longer exists.
  document.addEventListener("htmx:after:swap", function (event) {
    var ctx = event.detail && event.detail.ctx;
    var target = ctx && ctx.target;
    if (!target) { return; }
    if (typeof target === "string") {  // retargeted by the server (HX-Retarget)
      target = document.querySelector(target);
      if (!target) { return; }
    }
    var current = document.body.contains(target) ? target : (target.id && document.getElementById(target.id));
    if (current) {
      focusWithin(current);
    }
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
})();
