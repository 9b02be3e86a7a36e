/* The activation page only.  An invitation link carries its code after "#", which the browser never
   sends to the server, so the code is in no access log.  This script moves the code from the address
   bar into the form, clears it from the address bar and history entry, and posts the form: the code
   reaches the server only in a POST body.  Without script, the visible field takes a pasted code. */
(function () {
  "use strict";
  function start() {
    var form = document.getElementById("activation-code-form");
    var field = document.getElementById("id_token");
    var code = window.location.hash.replace(/^#/, "");
    if (!form || !field || !code) {
      return;
    }
    try {
      code = decodeURIComponent(code);
    } catch (e) {
      /* keep it as it is: the server says whether it works */
    }
    history.replaceState(null, "", window.location.pathname + window.location.search);
    field.value = code;
    form.submit();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
