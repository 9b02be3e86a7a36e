/* Front-desk requests reach providers and supervisors without a reload.  Every few seconds this asks
   the server for the waiting requests (code phrase, site, room, minutes waiting: never a person's
   data) and shows a notice in a polite live region, with a button to take each one; it never moves
   the focus.  The poll is not activity: the server does not count it towards the idle limit, so an
   idle page still locks.  It backs off on errors, pauses while the tab is hidden or the page is
   locked, and stops for good when the session has ended (401, or a redirect to sign in) or the page
   was blanked by a quick exit. */
(function () {
  "use strict";
  var box = document.getElementById("request-notice");
  var live = document.getElementById("request-notice-live");
  if (!box || !live || !window.fetch) { return; }
  var url = box.getAttribute("data-poll-url");
  var ask = window.fetch.bind(window);  // this script's own requests, whatever else wraps fetch later
  var EVERY = 5000, MOST = 60000, SHOWN_AT_MOST = 3;
  var delay = EVERY, timer = null, busy = false, stopped = false, shown = "";

  function locked() { return document.documentElement.classList.contains("wp-locked"); }
  function exited() {  // quick exit blanks the page first (waypoint.js): ask nothing more
    return document.body.style.getPropertyValue("display") === "none" ||
      (window.performance && performance.getEntriesByName("wp-exit-blank").length > 0);
  }
  function clear() {
    while (live.firstChild) { live.removeChild(live.firstChild); }
    shown = "";
  }
  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function line(item) {
    var p = document.createElement("p");
    var phrase = document.createElement("strong");
    phrase.textContent = item.phrase;
    p.appendChild(phrase);
    var parts = [item.room, item.site, item.minutes + " " + box.getAttribute("data-minutes")];
    parts.forEach(function (part) { if (part) { p.appendChild(document.createTextNode(" · " + part)); } });
    var form = document.createElement("form");
    form.method = "post";
    form.action = item.take;
    form.className = "inline";
    form.setAttribute("autocomplete", "off");
    var token = document.createElement("input");
    token.type = "hidden";
    token.name = "csrfmiddlewaretoken";
    token.value = csrfToken();
    var button = document.createElement("button");
    button.type = "submit";
    button.className = "button secondary";
    button.textContent = box.getAttribute("data-take");
    form.appendChild(token);
    form.appendChild(button);
    p.appendChild(document.createTextNode(" "));
    p.appendChild(form);
    return p;
  }
  function render(data) {
    var key = data.requests.map(function (item) { return item.id; }).join(",");
    if (key === shown) { return; }  // the same requests: nothing new to announce
    clear();
    if (!data.requests.length) { return; }
    shown = key;
    var panel = document.createElement("div");
    panel.setAttribute("data-request-notice", String(data.count));
    var title = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = box.getAttribute("data-title");
    title.appendChild(strong);
    panel.appendChild(title);
    data.requests.slice(0, SHOWN_AT_MOST).forEach(function (item) { panel.appendChild(line(item)); });
    var all = document.createElement("a");
    all.href = box.getAttribute("data-all-url");
    all.textContent = box.getAttribute("data-all");
    var more = document.createElement("p");
    more.appendChild(all);
    panel.appendChild(more);
    live.appendChild(panel);
  }
  function schedule(ms) {
    window.clearTimeout(timer);
    timer = stopped ? null : window.setTimeout(poll, ms);
  }
  function poll() {
    timer = null;
    if (exited()) { stopped = true; return; }
    if (stopped || busy || document.hidden) { return; }  // a hidden tab asks nothing; see visibilitychange
    if (locked()) { clear(); schedule(EVERY); return; }  // the idle lock: ask again once it is lifted
    busy = true;
    ask(url, {
      method: "GET", credentials: "same-origin", cache: "no-store", redirect: "manual",
      headers: {"X-Waypoint-Poll": "1", "Accept": "application/json"}
    }).then(function (r) {
      if (r.type === "opaqueredirect" || r.status === 401 || r.status === 403 || r.status === 404) {
        stopped = true;  // signed out, or no longer allowed: the idle lock or the next page says so
        clear();
        return null;
      }
      if (!r.ok) { throw new Error("poll failed"); }
      return r.json();
    }).then(function (data) {
      busy = false;
      if (data === null) { return; }
      delay = EVERY;
      if (!locked()) { render(data); }
      schedule(delay);
    }).catch(function () {
      busy = false;
      delay = Math.min(delay * 2, MOST);
      schedule(delay);
    });
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && timer === null && !busy) { poll(); }
  });
  poll();
})();
