// Poll a bulk export's progress and update the <progress> bar until the job ends.
(function () {
  "use strict";
  var root = document.querySelector("[data-export-progress]");
  if (!root) { return; }
  var url = root.getAttribute("data-export-progress");
  var bar = document.getElementById("export-bar");
  var count = document.getElementById("export-count");
  var status = document.getElementById("export-status");
  var download = document.getElementById("export-download");

  function show(p) {
    bar.max = p.total || 1;
    bar.value = p.done;
    bar.textContent = count.textContent = p.done + " / " + p.total;
    var label = status.getAttribute("data-label-" + p.status) || p.status;
    status.textContent = p.status === "failed" && p.error ? label + " " + p.error : label;
    status.setAttribute("data-status", p.status);
    if (p.download_url) {
      download.querySelector("a").href = p.download_url;
      download.hidden = false;
    }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (p) {
        show(p);
        if (p.status === "queued" || p.status === "running") { setTimeout(poll, 1000); }
      })
      .catch(function () { setTimeout(poll, 5000); });  // the LAN drops; keep trying
  }

  if (["queued", "running"].indexOf(status.getAttribute("data-status")) >= 0) { poll(); }
}());
