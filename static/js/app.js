// Behaviour that the CSP keeps out of the HTML: focus management around swaps.
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
    var current = document.body.contains(target) ? target : (target.id && document.getElementById(target.id));
    if (current) {
      focusWithin(current);
    }
  });
})();
