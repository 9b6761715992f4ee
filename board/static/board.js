// stancewatch board: poll /api/version every data-refresh seconds; when the data changed (and every
// sixth poll, for the freshness line), fetch this same page and swap its header and main in place.
// The fetched HTML is the server's own escaped rendering; DOMParser documents run no scripts.
(function () {
  "use strict";
  var body = document.body;
  var every = Math.max(1, parseFloat(body.dataset.refresh || "5")) * 1000;
  var version = body.dataset.version || "";
  var polls = 0;
  var busy = false;

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    ["health", "main"].forEach(function (id) {
      var fresh = doc.getElementById(id);
      var old = document.getElementById(id);
      if (fresh && old) { old.replaceWith(document.importNode(fresh, true)); }
    });
    if (doc.body && doc.body.dataset.version) {
      version = doc.body.dataset.version;
      body.dataset.version = version;
    }
  }

  function tick() {
    if (busy || document.hidden) { return; }
    busy = true;
    polls += 1;
    fetch(body.dataset.versionUrl, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return null; }
        var changed = data.version !== version;
        if (!changed && polls % 6 !== 0) { return null; }
        var active = document.activeElement;
        if (active && active.form) { return null; }  // do not redraw under someone editing the filters
        return fetch(location.href, { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.text() : null; })
          .then(function (html) { if (html) { swap(html); } });
      })
      .catch(function () { var h = document.getElementById("health"); if (h) { h.classList.add("fail"); } })
      .then(function () { busy = false; });
  }

  setInterval(tick, every);
})();
