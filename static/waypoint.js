/* Waypoint's only script: quick exit, its keyboard shortcuts, and the idle-timeout warning.
   Quick exit blanks the page synchronously, before any network request, then ends the server
   session, clears this origin's storage and replaces the location with a neutral page. */
(function () {
  "use strict";
  var body = document.body;
  var exiting = false;

  function blank() {
    // Hide everything in the same task as the key press or click: nothing is painted after this.
    document.documentElement.style.setProperty("background", "#fff", "important");
    body.style.setProperty("display", "none", "important");
    document.title = "\u200a";
  }

  function clearStorage() {
    try { window.localStorage.clear(); } catch (e) { /* storage may be disabled */ }
    try { window.sessionStorage.clear(); } catch (e) { /* storage may be disabled */ }
    try {
      if (window.indexedDB && indexedDB.databases) {
        indexedDB.databases().then(function (list) {
          list.forEach(function (db) { if (db.name) { indexedDB.deleteDatabase(db.name); } });
        });
      }
    } catch (e) { /* not supported */ }
    try {
      if (window.caches && caches.keys) {
        caches.keys().then(function (keys) { keys.forEach(function (k) { caches.delete(k); }); });
      }
    } catch (e) { /* not supported */ }
  }

  function quickExit(event) {
    if (event) { event.preventDefault(); }
    if (exiting) { return; }
    exiting = true;
    blank();
    var destination = body.getAttribute("data-exit-url") || "about:blank";
    window.performance && performance.mark && performance.mark("wp-exit-blank");
    clearStorage();
    var go = function () { window.location.replace(destination); };
    var timer = window.setTimeout(go, 400);
    try {
      fetch(body.getAttribute("data-exit-endpoint"), {
        method: "POST", credentials: "same-origin", keepalive: true,
        headers: {"X-Waypoint-Exit": "1"}
      }).then(function () { window.clearTimeout(timer); go(); }, function () { window.clearTimeout(timer); go(); });
    } catch (e) { window.clearTimeout(timer); go(); }
  }
  window.waypointQuickExit = quickExit;

  var form = document.getElementById("quick-exit-form");
  if (form) { form.addEventListener("submit", quickExit); }

  // Shift three times within two seconds, or Esc twice within one second.  Any other key in between
  // starts the count again, so typing capital letters never triggers an exit.
  var shiftTimes = [];
  var lastEscape = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key === "Shift" && !event.repeat) {
      lastEscape = 0;
      var now = Date.now();
      shiftTimes = shiftTimes.filter(function (t) { return now - t < 2000; });
      shiftTimes.push(now);
      if (shiftTimes.length >= 3) { quickExit(event); }
    } else if (event.key === "Escape") {
      var t = Date.now();
      if (t - lastEscape < 1000) { quickExit(event); }
      lastEscape = t;
      shiftTimes = [];
    } else {
      shiftTimes = [];
      lastEscape = 0;
    }
  }, true);

  // A page restored from the back/forward cache after an exit must never show again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { blank(); window.location.reload(); }
  });

  // Idle warning: a minute before the server's idle limit, offer to stay signed in.
  var idle = parseInt(body.getAttribute("data-idle-seconds") || "0", 10);
  var warn = parseInt(body.getAttribute("data-warning-seconds") || "60", 10);
  var dialog = document.getElementById("idle-warning");
  if (idle > 0 && dialog) {
    var warnTimer, endTimer;
    var schedule = function () {
      window.clearTimeout(warnTimer);
      window.clearTimeout(endTimer);
      warnTimer = window.setTimeout(function () {
        dialog.hidden = false;
        document.getElementById("idle-stay").focus();
      }, (idle - warn) * 1000);
      endTimer = window.setTimeout(function () {
        if (typedSomething()) { lock(); return; }
        blank();
        window.location.replace(body.getAttribute("data-login-url"));
      }, idle * 1000);
    };

    // At the idle limit the server ends the session.  If something was typed on this page, the page
    // hides itself instead of leaving, so the text stays in memory (never in browser storage) until
    // the same person signs in again in the dialog; anyone else is refused by the server.
    var typedSomething = function () {
      var fields = document.querySelectorAll("main form input, main form textarea, main form select");
      for (var i = 0; i < fields.length; i++) {
        var field = fields[i];
        if (field.type === "hidden" || field.type === "submit") { continue; }
        if (field.type === "checkbox" || field.type === "radio") {
          if (field.checked !== field.defaultChecked) { return true; }
        } else if (field.tagName === "SELECT") {
          for (var j = 0; j < field.options.length; j++) {
            if (field.options[j].selected !== field.options[j].defaultSelected) { return true; }
          }
        } else if (field.value !== field.defaultValue) { return true; }
      }
      return false;
    };
    var resume = document.getElementById("resume");
    var resumeForm = document.getElementById("resume-form");
    var lock = function () {
      dialog.hidden = true;
      document.documentElement.classList.add("wp-locked");
      resume.hidden = false;
      document.getElementById("resume-password").focus();
    };
    var unlock = function (token) {
      var inputs = document.querySelectorAll("input[name=csrfmiddlewaretoken]");
      for (var i = 0; i < inputs.length; i++) { inputs[i].value = token; }
      resumeForm.reset();
      resume.hidden = true;
      document.documentElement.classList.remove("wp-locked");
      document.getElementById("main").focus();
      schedule();
    };
    resumeForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var error = document.getElementById("resume-error");
      error.hidden = true;
      fetch(resumeForm.action, {
        method: "POST", credentials: "same-origin", body: new FormData(resumeForm),
        headers: {"X-Waypoint-Resume": "1"}
      }).then(function (r) { return r.json(); }).then(function (answer) {
        if (answer.ok) { unlock(answer.csrf); return; }
        error.textContent = answer.error;
        error.hidden = false;
        document.getElementById("resume-password").value = "";
        document.getElementById("resume-code").value = "";
        document.getElementById("resume-password").focus();
      }, function () {
        error.textContent = resume.getAttribute("data-offline");
        error.hidden = false;
      });
    });
    document.getElementById("idle-form").addEventListener("submit", function (event) {
      event.preventDefault();
      fetch(this.action, {credentials: "same-origin", headers: {"X-Waypoint-Keepalive": "1"}}).then(function (r) {
        if (r.ok && !r.redirected) { dialog.hidden = true; schedule(); }
        else { window.location.replace(body.getAttribute("data-login-url")); }
      });
    });
    schedule();
  }
})();

/* Encounter check-in reminder: a gentle, non-blocking prompt after the organisation's interval. */
(function () {
  "use strict";
  var prompt = document.getElementById("check-in-prompt");
  if (!prompt) { return; }
  var seconds = parseInt(prompt.getAttribute("data-check-in-seconds") || "0", 10);
  if (seconds > 0) {
    window.setTimeout(function () { prompt.hidden = false; }, seconds * 1000);
  }
})();
