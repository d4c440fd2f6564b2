/* Demos that move without a kernel (decondl.demos, issue 15).
 *
 * Each <div class="decondl-demo"> holds, in a <script type="application/json">, the pictures
 * and numbers that the book build precomputed for every state, and one control per parameter
 * (a range input over the positions of its values, or a <select>). This script shows the
 * controls (hidden for readers without JavaScript, who see the default state) and swaps the
 * picture, its alternative text and the numbers when a control moves. No dependencies.
 */
(function () {
  "use strict";

  function setUp(root) {
    if (root.dataset.decondlReady) return;
    var source = root.querySelector("script.decondl-demo-data");
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var image = root.querySelector("img.decondl-demo-image");
    var numbers = root.querySelectorAll(".decondl-demo-numbers dd");
    var controls = Array.prototype.slice.call(root.querySelectorAll("[data-decondl-param]"));
    var current = data.parameters.map(function (p) { return p.default; });

    function show() {
      var state = data.states[current.join(",")];
      if (!state) return;  // not precomputed: keep what is shown
      image.src = data.images[state[0]];
      image.alt = state[2];
      state[1].forEach(function (text, i) { if (numbers[i]) numbers[i].textContent = text; });
      controls.forEach(function (control, i) {
        var text = data.parameters[i].texts[current[i]];
        control.value = String(current[i]);
        if (control.type === "range") {
          control.setAttribute("aria-valuetext", text);
          var shown = control.parentNode.querySelector("output");
          if (shown) shown.textContent = text;
        }
      });
    }

    controls.forEach(function (control, i) {
      function moved() {
        var position = Number(control.value);
        if (position === current[i]) return;
        if (data.mode === "axes") {  // one setting at a time: the others go back to default
          current = data.parameters.map(function (p) { return p.default; });
        }
        current[i] = position;
        show();
      }
      control.addEventListener("input", moved);
      control.addEventListener("change", moved);
    });
    root.querySelector(".decondl-demo-controls").hidden = false;
    root.dataset.decondlReady = "1";
    show();
  }

  function setUpAll() {
    Array.prototype.forEach.call(document.querySelectorAll(".decondl-demo"), setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpAll);
  } else {
    setUpAll();
  }
})();
