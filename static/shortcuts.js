/* Keyboard shortcuts: an element with data-shortcut="<name>" (a link, a button or a <summary>) is
   activated by Alt+Shift+<letter> (Option+Shift on Apple keyboards), the same in Chromium, Firefox
   and Safari.  The key is matched on event.code, the physical key, so a keyboard layout or the
   characters macOS's Option key types do not change it.  Accesskeys are not used: their modifiers
   differ by browser (Alt in Chromium, Alt+Shift in Firefox, Control+Option in Safari).
   - Every shortcut needs two modifiers (WCAG 2.1.4: no single-character shortcuts).
   - Nothing fires while text is being composed with an input method, on a repeat, or with Control
     or Command held (AltGr is Control+Alt on Windows: typing accented capitals never triggers).
   - In a text field only Exit fires (nothing on Apple keyboards, where the chord types a letter).
   - Pressing Shift alone three times, or Esc twice, is the quick exit (waypoint.js): a shortcut
     presses Alt and a letter between its Shifts, which starts that count again.
   - Letters avoided: those Chromium (I feedback, T toolbar) and ChromeOS (A, L, M, N, S) take.
   Each element (but Exit) gets a visible <kbd> hint (hidden from assistive technology, which reads
   the aria-keyshortcuts attribute instead); the help list fills its <kbd data-shortcut-label>. */
(function () {
  "use strict";
  var KEYS = {
    "next-step": "F",
    "danger": "D",
    "injured": "J",
    "check-in": "K",
    "grounding": "G",
    "breathing": "B",
    "exit": "X"
  };
  var platform = (navigator.userAgentData && navigator.userAgentData.platform) || navigator.platform || "";
  var apple = /mac|iphone|ipad|ipod/i.test(platform);

  function label(letter) { return apple ? "\u2325\u21e7" + letter : "Alt+Shift+" + letter; }
  function spoken(letter) { return "Alt+Shift+" + letter; }

  function hint(element, letter) {
    element.setAttribute("aria-keyshortcuts", spoken(letter));
    // Exit keeps its one word in the same place on every page; its keys are in the help list.
    if (element.id === "quick-exit" || element.querySelector("kbd.shortcut")) { return; }
    var kbd = document.createElement("kbd");
    kbd.className = "shortcut";
    kbd.setAttribute("aria-hidden", "true");
    kbd.textContent = label(letter);
    element.appendChild(document.createTextNode(" "));
    element.appendChild(kbd);
  }

  function setUp() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-shortcut]"), function (element) {
      var letter = KEYS[element.getAttribute("data-shortcut")];
      if (letter) { hint(element, letter); }
    });
    var help = document.getElementById("shortcut-help");
    if (help) {
      Array.prototype.forEach.call(help.querySelectorAll("[data-shortcut-label]"), function (kbd) {
        var letter = KEYS[kbd.getAttribute("data-shortcut-label")];
        if (letter) {
          kbd.textContent = label(letter);
          kbd.setAttribute("aria-label", spoken(letter));
        }
      });
      help.hidden = false;
    }
    // After a save the step list opens at the next step: it takes the focus, and is announced.
    var next = document.getElementById("next-step");
    if (next && window.location.hash === "#next-step") {
      next.focus();
      var status = document.getElementById("next-step-status");
      if (status) {
        window.setTimeout(function () { status.textContent = next.getAttribute("data-next-step-label") || ""; }, 100);
      }
    }
  }

  function target(name) {
    var found = document.querySelectorAll('[data-shortcut="' + name + '"]');
    for (var i = 0; i < found.length; i += 1) {
      var element = found[i];
      if (element.getClientRects().length || element.id === "quick-exit") { return element; }
    }
    return null;
  }

  var TYPED = /^(text|search|email|tel|url|number|password|date|datetime-local|month|time|week)$/i;
  function typing(element) {
    if (!element) { return false; }
    if (element.isContentEditable || element.tagName === "TEXTAREA" || element.tagName === "SELECT") { return true; }
    return element.tagName === "INPUT" && TYPED.test(element.type || "text");
  }

  document.addEventListener("keydown", function (event) {
    if (!event.altKey || !event.shiftKey || event.ctrlKey || event.metaKey) { return; }
    if (event.isComposing || event.keyCode === 229 || event.repeat) { return; }
    var code = event.code || "";
    if (code.indexOf("Key") !== 0) { return; }
    var letter = code.slice(3);
    var name = null;
    Object.keys(KEYS).forEach(function (key) { if (KEYS[key] === letter) { name = key; } });
    // In a text field: on Apple keyboards Option+Shift+letter types a character ("Î", "˛"), so no
    // shortcut fires there; elsewhere only Exit does, since leaving the page would lose what is typed.
    if (typing(document.activeElement) && (apple || name !== "exit")) { return; }
    var element = name && target(name);
    if (!element) { return; }
    event.preventDefault();
    event.stopPropagation();
    element.focus();
    element.click();
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
}());
