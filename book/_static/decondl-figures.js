// Figures that scroll sideways on a phone (decondl.css) can be scrolled with the keyboard too:
// a scrollable box must be focusable (WCAG 2.1.1). Only figures wider than their box get it.
(function () {
  "use strict";
  function mark() {
    document.querySelectorAll(".bd-article figure").forEach(function (figure) {
      var img = figure.querySelector(":scope > img");
      if (!img) return;
      if (figure.scrollWidth > figure.clientWidth + 1) {
        figure.setAttribute("tabindex", "0");
      } else {
        figure.removeAttribute("tabindex");
      }
    });
  }
  window.addEventListener("load", mark);
  window.addEventListener("resize", mark);
})();
