// The Content-Security-Policy allows no inline style attributes, so sizes that
// come from data (bar widths, lane heights) are written as data-style="..." and
// applied here through the CSSOM, which the policy permits. Also shows a page's
// "action failed" notice when an htmx request is refused (was an hx-on attribute,
// which htmx would have to eval).
(function () {
  "use strict";

  function applyStyles(root) {
    var nodes = Array.prototype.slice.call((root || document).querySelectorAll("[data-style]"));
    if (root && root.hasAttribute && root.hasAttribute("data-style")) nodes.push(root);
    for (var i = 0; i < nodes.length; i++) {
      nodes[i].style.cssText = nodes[i].getAttribute("data-style");
    }
  }

  document.addEventListener("DOMContentLoaded", function () { applyStyles(document); });
  document.addEventListener("htmx:load", function (event) { applyStyles(event.target); });
  document.addEventListener("htmx:responseError", function (event) {
    var holder = event.target.closest && event.target.closest("[data-show-on-error]");
    if (!holder) return;
    var notice = document.querySelector(holder.getAttribute("data-show-on-error"));
    if (notice) notice.hidden = false;
  });
})();
