// storydiff: small progressive enhancements. Every page works without this file.
// On the diff page: j / k (and the Next / Previous buttons) move through the changes.
(function () {
  "use strict";
  var changes = Array.prototype.slice.call(document.querySelectorAll("[data-change]"));
  var pos = document.getElementById("change-pos");
  var current = -1;

  function reveal(el) {
    var box = el.closest("details");
    while (box) {
      box.open = true;
      box = box.parentElement && box.parentElement.closest("details");
    }
  }

  function go(index) {
    if (!changes.length) { return; }
    current = Math.max(0, Math.min(changes.length - 1, index));
    var el = changes[current];
    reveal(el);
    changes.forEach(function (c) { c.classList.remove("current"); });
    el.classList.add("current");
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: "center" });
    if (history.replaceState) { history.replaceState(null, "", "#" + el.id); }
    if (pos) { pos.textContent = "Change " + (current + 1) + " of " + changes.length; }
  }

  var fromHash = changes.findIndex(function (c) { return "#" + c.id === location.hash; });
  if (fromHash >= 0) { current = fromHash; }

  var next = document.getElementById("next-change");
  var prev = document.getElementById("prev-change");
  if (next) { next.addEventListener("click", function (e) { e.preventDefault(); go(current + 1); }); }
  if (prev) {
    prev.addEventListener("click", function (e) {
      e.preventDefault();
      go(current < 0 ? changes.length - 1 : current - 1);
    });
  }

  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) { return; }
    var t = e.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) { return; }
    if (e.key === "j") { e.preventDefault(); go(current + 1); }
    else if (e.key === "k") { e.preventDefault(); go(current < 0 ? changes.length - 1 : current - 1); }
  });

  // Moved paragraphs: following a link to the other place opens any folded run around it.
  document.querySelectorAll("a.movelink").forEach(function (a) {
    a.addEventListener("click", function () {
      var target = document.getElementById(a.getAttribute("href").slice(1));
      if (target) { reveal(target); }
    });
  });
})();
