/* Waypoint's only script: quick exit, its keyboard shortcuts, the idle-timeout warning, the idle lock
   and the set-up of each page's content.
   Quick exit blanks the page synchronously, before any network request, then ends the server
   session, clears this origin's storage and replaces the location with a neutral page. */
(function () {
  "use strict";
  var body = document.body;
  var exiting = false;
  var kept = null;  // what was typed on a locked page: in this script's memory only, never in storage

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
    kept = null;
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

  // Set-up for what <main> holds (the check-in reminder of encounters and plans).  It runs on load
  // and again when a locked page is rebuilt, and is torn down on lock so no timer keeps a reference
  // to removed record content.
  var pageTimers = [];
  function tearDownPage() {
    pageTimers.forEach(function (timer) { window.clearTimeout(timer); });
    pageTimers = [];
  }
  function setUpPage() {
    tearDownPage();
    var prompt = document.getElementById("check-in-prompt");
    if (!prompt) { return; }
    var seconds = parseInt(prompt.getAttribute("data-check-in-seconds") || "0", 10);
    if (seconds > 0) {
      pageTimers.push(window.setTimeout(function () { prompt.hidden = false; }, seconds * 1000));
    }
  }
  setUpPage();

  // The fields of <main>, each with a key that finds it again in a fresh copy of the page: the
  // form's action, the field's name (with its value, for check boxes and radio buttons) and its
  // position among the fields with the same action and name.  Passwords, files and buttons are not
  // kept; hidden fields only travel with a form that has typed text (see collectTyped).
  var NOT_KEPT = {submit: 1, button: 1, reset: 1, image: 1, file: 1, password: 1};
  var FORMSET_COUNTS = /-(TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS$/;
  function formAction(field) {
    if (!field.form) { return ""; }
    // Through the prototype: a field named "action" must not stand in for the form's attribute.
    var action = Element.prototype.getAttribute.call(field.form, "action") || "";
    try { return new URL(action, document.baseURI).href; } catch (e) { return action; }
  }
  function keyedFields(root) {
    var counts = {};
    var found = [];
    var fields = root.querySelectorAll("input, textarea, select");
    for (var i = 0; i < fields.length; i++) {
      var field = fields[i];
      var type = field.tagName === "INPUT" ? (field.type || "text") : field.tagName.toLowerCase();
      var name = field.name || field.id;
      if (NOT_KEPT[type] || !name || name === "csrfmiddlewaretoken") { continue; }
      if (type === "checkbox" || type === "radio") { name += "=" + field.value; }
      var base = formAction(field) + " " + name;
      counts[base] = (counts[base] || 0) + 1;
      found.push({key: base + " " + counts[base], field: field, type: type, form: field.form});
    }
    return found;
  }
  function labelOf(field) {
    var text = field.labels && field.labels.length ? field.labels[0].textContent : (field.name || "");
    var set = field.closest("fieldset");
    var legend = set && (field.type === "checkbox" || field.type === "radio") ? set.querySelector("legend") : null;
    if (legend) { text = legend.textContent + ": " + text; }
    return text.replace(/\s+/g, " ").trim();
  }
  function defaultChoice(select) {
    var values = [];
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].defaultSelected) { values.push(select.options[i].value); }
    }
    if (!values.length && !select.multiple && select.options.length) { values.push(select.options[0].value); }
    return select.multiple ? values : values.slice(-1);
  }

  // What the user typed in <main>, as plain values (no references to the page's elements, so the
  // removed content can go).  On a page that answers a POST (an error re-render, an edit conflict)
  // the fields hold what was submitted, which a fresh GET would not show again, so all are kept.
  function collectTyped() {
    var main = document.getElementById("main");
    if (!main) { return []; }
    var posted = body.hasAttribute("data-posted");
    var fields = keyedFields(main);
    var entries = [];
    var dirty = [];
    fields.forEach(function (item) {
      var field = item.field;
      if (item.type === "hidden") { return; }
      var entry = {key: item.key, type: item.type, label: labelOf(field)};
      var changed, filled;
      if (item.type === "checkbox" || item.type === "radio") {
        entry.checked = field.checked;
        changed = field.checked !== field.defaultChecked;
        filled = field.checked;
      } else if (item.type === "select") {
        entry.values = [];
        var shown = [];
        for (var i = 0; i < field.options.length; i++) {
          if (field.options[i].selected) { entry.values.push(field.options[i].value); shown.push(field.options[i].text); }
        }
        entry.shown = shown.join(", ");
        changed = entry.values.join("\n") !== defaultChoice(field).join("\n");
        filled = false;
      } else {
        entry.value = field.value;
        changed = field.value !== field.defaultValue;
        filled = field.value !== "";
      }
      entry.typed = changed || (posted && filled);
      if (entry.typed || posted) { entries.push(entry); }
      if (entry.typed && item.form && dirty.indexOf(item.form) < 0) { dirty.push(item.form); }
    });
    // The hidden fields of a form with typed text (the version it was based on, its submit token)
    // go back with it, so a save after signing in again still finds someone else's changes.  A
    // formset's row counts are the fresh page's own: they describe the rows it shows.
    fields.forEach(function (item) {
      if (item.type === "hidden" && dirty.indexOf(item.form) >= 0 && !FORMSET_COUNTS.test(item.field.name)) {
        entries.push({key: item.key, type: "hidden", value: item.field.value, typed: false});
      }
    });
    return entries;
  }

  // Puts the kept values into the matching fields of fresh content; returns the typed entries that
  // found no field (the record changed), so they can be shown rather than lost.
  function restoreTyped(entries, root) {
    var byKey = {};
    keyedFields(root).forEach(function (item) { byKey[item.key] = item; });
    var left = [];
    entries.forEach(function (entry) {
      var target = byKey[entry.key];
      if (!target || target.type !== entry.type) {
        if (entry.typed) { left.push(entry); }
        return;
      }
      var field = target.field;
      if (entry.type === "checkbox" || entry.type === "radio") {
        field.checked = entry.checked;
      } else if (entry.type === "select") {
        var options = Array.prototype.map.call(field.options, function (option) { return option.value; });
        var fits = entry.values.every(function (value) { return options.indexOf(value) >= 0; });
        if (!fits) {
          if (entry.typed) { left.push(entry); }
          return;
        }
        Array.prototype.forEach.call(field.options, function (option) {
          option.selected = entry.values.indexOf(option.value) >= 0;
        });
      } else {
        field.value = entry.value;
      }
    });
    return left;
  }

  // A notice listing typed values, as text (never markup), for the user to copy.
  function keptNotice(entries, message) {
    var resume = document.getElementById("resume");
    var box = document.createElement("div");
    box.className = "notice kept";
    box.id = "resume-kept";
    var intro = document.createElement("p");
    intro.textContent = message;
    box.appendChild(intro);
    var list = document.createElement("dl");
    entries.forEach(function (entry) {
      var term = document.createElement("dt");
      var value = document.createElement("dd");
      term.textContent = entry.label;
      value.className = "pre";
      if (entry.type === "checkbox" || entry.type === "radio") {
        value.textContent = resume.getAttribute(entry.checked ? "data-ticked" : "data-unticked");
      } else {
        value.textContent = entry.type === "select" ? entry.shown : entry.value;
      }
      list.appendChild(term);
      list.appendChild(value);
    });
    box.appendChild(list);
    return box;
  }

  // Idle warning: a minute before the server's idle limit, offer to stay signed in.
  var idle = parseInt(body.getAttribute("data-idle-seconds") || "0", 10);
  var warn = parseInt(body.getAttribute("data-warning-seconds") || "60", 10);
  var dialog = document.getElementById("idle-warning");
  if (idle > 0 && dialog) {
    var warnTimer, endTimer, deadline = 0;
    var expire = function () {
      deadline = 0;
      window.clearTimeout(warnTimer);
      window.clearTimeout(endTimer);
      var typed = collectTyped();
      if (typed.some(function (entry) { return entry.typed; })) { lock(typed); return; }
      blank();
      window.location.replace(body.getAttribute("data-login-url"));
    };
    var schedule = function () {
      window.clearTimeout(warnTimer);
      window.clearTimeout(endTimer);
      deadline = Date.now() + idle * 1000;
      warnTimer = window.setTimeout(function () {
        dialog.hidden = false;
        document.getElementById("idle-stay").focus();
      }, (idle - warn) * 1000);
      endTimer = window.setTimeout(expire, idle * 1000);
    };
    // Timers stand still while a laptop sleeps: on waking (or coming back to the tab) the wall clock
    // decides, so the record never stays on screen past the server's idle limit.
    var checkClock = function () { if (deadline && Date.now() >= deadline) { expire(); } };
    document.addEventListener("visibilitychange", checkClock);
    window.addEventListener("focus", checkClock);
    window.addEventListener("pageshow", checkClock);
    window.setInterval(checkClock, 15000);

    // At the idle limit the server ends the session.  If something was typed on this page, the page
    // keeps the typed values in this script's memory (never in browser storage), removes the record
    // content from the document and waits for the same person to sign in again in the dialog; anyone
    // else is refused by the server.  Then the page is fetched afresh (with its own read audit row)
    // and the typed values go back into it.
    var resume = document.getElementById("resume");
    var resumeForm = document.getElementById("resume-form");
    var lock = function (typed) {
      kept = typed;
      dialog.hidden = true;
      tearDownPage();
      var main = document.getElementById("main");
      while (main.firstChild) { main.removeChild(main.firstChild); }
      document.title = body.getAttribute("data-tab-title") || "\u200a";  // the tab name, never a page's
      document.documentElement.classList.add("wp-locked");
      resume.hidden = false;
      document.getElementById("resume-password").focus();
    };
    var reopen = function (token) {
      var inputs = document.querySelectorAll("input[name=csrfmiddlewaretoken]");
      for (var i = 0; i < inputs.length; i++) { inputs[i].value = token; }
      kept = null;
      resume.hidden = true;
      document.documentElement.classList.remove("wp-locked");
      setUpPage();
      document.getElementById("main").focus();
      schedule();
    };
    var showKept = function (entries) {
      // The page could not be fetched again: what was typed is shown so it can be copied.
      var main = document.getElementById("main");
      while (main.firstChild) { main.removeChild(main.firstChild); }
      var heading = document.createElement("h1");
      heading.textContent = resume.getAttribute("data-failed-title");
      var again = document.createElement("a");
      again.href = window.location.href;
      again.textContent = resume.getAttribute("data-reload");
      var line = document.createElement("p");
      line.appendChild(again);
      main.appendChild(heading);
      main.appendChild(keptNotice(entries.filter(function (entry) { return entry.typed; }), resume.getAttribute("data-failed")));
      main.appendChild(line);
    };
    var unlock = function (token) {
      resumeForm.reset();
      var entries = kept || [];
      fetch(window.location.href, {method: "GET", mode: "same-origin", credentials: "same-origin", cache: "no-store"})
        .then(function (r) {
          if (!r.ok || r.redirected) { throw new Error("page not available"); }
          return r.text();
        })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html");
          var freshMain = fresh.getElementById("main");
          if (!freshMain) { throw new Error("no content"); }
          freshMain = document.adoptNode(freshMain);
          document.getElementById("main").replaceWith(freshMain);
          document.title = fresh.title;
          if (fresh.body.hasAttribute("data-posted")) { body.setAttribute("data-posted", "1"); }
          else { body.removeAttribute("data-posted"); }
          var left = restoreTyped(entries, freshMain);
          if (left.length) { freshMain.insertBefore(keptNotice(left, resume.getAttribute("data-kept")), freshMain.firstChild); }
        })
        .catch(function () { showKept(entries); })
        .then(function () { reopen(token); });
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
