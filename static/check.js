/* The safety check says, beside each question and above the save button, what saving will keep:
   their answer (they agree it is written down), only that the question was asked, or nothing (not
   answered).  The page is right without this script (the server writes the same text); the script
   keeps it right while the provider clicks.  "They agree ... for every question" ticks every
   question's box; unticking one question's box unticks it, and the boxes then say what is kept.
   Listeners sit on the document, so a page rebuilt after the idle lock keeps working. */
(function () {
  "use strict";

  function form() { return document.getElementById("safety-check"); }

  function filled(field) {
    if (field.type === "checkbox" || field.type === "radio") { return field.checked && field.value !== ""; }
    return field.value.trim() !== "";
  }

  function stateOf(fieldset, all) {
    var key = fieldset.getAttribute("data-question");
    var said = fieldset.hasAttribute("data-fixed");
    Array.prototype.forEach.call(fieldset.querySelectorAll("input, select, textarea"), function (field) {
      var name = field.name || "";
      if (name === key + "__consented" || field.type === "hidden") { return; }
      if (name.indexOf(key + "__") === 0 && filled(field)) { said = true; }
    });
    if (!said) { return "none"; }
    var box = fieldset.querySelector("input[name='" + key + "__consented']");
    return all || (box && box.checked) ? "kept" : "asked";
  }

  function update() {
    var root = form();
    if (!root) { return; }
    var all = root.querySelector("input[name=consent_all]");
    var counts = {kept: 0, asked: 0, none: 0};
    Array.prototype.forEach.call(root.querySelectorAll("fieldset[data-question]"), function (fieldset) {
      var state = stateOf(fieldset, all && all.checked);
      counts[state] += 1;
      var hint = fieldset.querySelector(".keep-hint");
      if (hint && hint.getAttribute("data-keep") !== state) {
        hint.setAttribute("data-keep", state);
        hint.textContent = root.getAttribute("data-keep-" + state);
      }
    });
    Object.keys(counts).forEach(function (state) {
      var shown = root.querySelector("[data-count='" + state + "']");
      if (shown) { shown.textContent = String(counts[state]); }
    });
  }

  function changed(event) {
    var root = form();
    var field = event.target;
    if (!root || !root.contains(field)) { return; }
    var all = root.querySelector("input[name=consent_all]");
    var boxes = root.querySelectorAll("input[name$='__consented']");
    if (field === all) {
      Array.prototype.forEach.call(boxes, function (box) { if (!box.disabled) { box.checked = all.checked; } });
    } else if (all && /__consented$/.test(field.name) && !field.checked) {
      all.checked = false;
    }
    update();
  }

  document.addEventListener("change", changed);
  document.addEventListener("input", function (event) {
    var root = form();
    if (root && root.contains(event.target)) { update(); }
  });
  if (window.MutationObserver) {  // <main> replaced after the idle lock: the restored values count
    new MutationObserver(update).observe(document.body, {childList: true});
  }
  update();
}());
