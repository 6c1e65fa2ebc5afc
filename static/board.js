// Refreshes the status board every 60 seconds while it is on screen, and at
// once when it comes back into view. The page works fully without it; the
// server answers an unchanged board with 304, which costs almost nothing.
(function () {
  "use strict";
  var main = document.querySelector("main");
  if (!main || !window.fetch || !window.DOMParser) return;
  var last = 0;
  function refresh() {
    if (document.visibilityState !== "visible" || Date.now() - last < 30000) return;
    last = Date.now();
    fetch(location.href, { cache: "no-cache", credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) {
        if (!html) return;
        var next = new DOMParser().parseFromString(html, "text/html").querySelector("main");
        if (next && next.innerHTML !== main.innerHTML) main.innerHTML = next.innerHTML;
      })
      .catch(function () { /* offline: keep what is shown */ });
  }
  setInterval(refresh, 60000);
  document.addEventListener("visibilitychange", refresh);
})();
