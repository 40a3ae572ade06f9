/* scoring: the examiner's scoring page. Licence: the project's own code.

   Every change is kept in localStorage at once and sent to the server as the sheet's full
   state with a sequence number that only grows on this tablet; the server keeps the highest,
   so retries and late arrivals never overwrite newer scores. Offline, the page says so and
   keeps working; when the network returns, the newest state is sent by itself. The signed
   submission waits in localStorage too, with its own client id, until the server's receipt. */
(function () {
  "use strict";

  var root = document.getElementById("sheet");
  if (!root) return;
  var data = JSON.parse(document.getElementById("sheet-data").textContent);
  var msg = data.messages;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var key = "scoring:v1:" + data.user + ":" + data.assignment;
  var $ = function (id) { return document.getElementById(id); };
  var form = $("sheet-form"), statusLine = $("sync-status");
  var pad = window.SignaturePad ? window.SignaturePad($("signature")) : null;
  var inflight = false, timer = null, backoff = 1000, locked = false;

  function newId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }

  function load() {
    try { return JSON.parse(localStorage.getItem(key)); } catch (e) { return null; }
  }
  function store() {
    try { localStorage.setItem(key, JSON.stringify(local)); } catch (e) { /* full: server only */ }
  }

  // The tablet's copy wins only when it is newer than what the server has applied.
  var local = load();
  if (!local || typeof local.seq !== "number" || local.seq < data.seq) {
    local = { seq: data.seq, synced: data.seq, scores: data.scores, submit: null };
  }
  store();

  function format(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, name) { return values[name]; });
  }

  function setStatus(state, text) {
    statusLine.dataset.state = state;
    statusLine.textContent = text || msg[state];
  }

  function entry(code) { return local.scores[code] || { level: null, note: "" }; }
  function needsNote(level) { return data.evidence.indexOf(level) !== -1; }

  function missing() {
    var out = [];
    data.criteria.forEach(function (code) {
      var e = entry(code);
      if (e.level === null || e.level === undefined) out.push({ code: code, what: "level" });
      else if (needsNote(e.level) && !(e.note || "").trim()) out.push({ code: code, what: "note" });
    });
    return out;
  }

  function render() {
    var done = 0;
    data.criteria.forEach(function (code) {
      var e = entry(code), section = $("crit-" + code), note = $("note-" + code);
      form.querySelectorAll('input[name="level-' + code + '"]').forEach(function (input) {
        input.checked = Number(input.value) === e.level;
      });
      if (document.activeElement !== note) note.value = e.note || "";
      var required = e.level !== null && e.level !== undefined && needsNote(e.level);
      note.parentNode.classList.toggle("note--required", required);
      if (required) note.setAttribute("aria-required", "true");
      else note.removeAttribute("aria-required");
      if (e.level !== null && e.level !== undefined) done += 1;
      if (section.classList.contains("criterion--missing")) {
        var still = missing().some(function (m) { return m.code === code; });
        section.classList.toggle("criterion--missing", still);
      }
    });
    $("progress").value = done;
    $("progress-text").textContent = format(msg.progress, { done: done, total: data.criteria.length });
  }

  function change(code, field, value) {
    if (locked) return;
    var e = entry(code);
    var next = { level: e.level === undefined ? null : e.level, note: e.note || "" };
    next[field] = value;
    local.scores[code] = next;
    local.seq += 1;
    store();
    render();
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": csrf, "X-Client-Id": body.client_id },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        return { status: response.status, ok: response.ok, body: json };
      });
    });
  }

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(flush, ms);
  }

  function retryLater(offlineText) {
    inflight = false;
    setStatus("offline", offlineText);
    backoff = Math.min(backoff * 2, 30000);
    schedule(backoff);
  }

  function flush() {
    if (inflight) return;
    if (local.submit) { sendSubmit(); return; }
    if (local.synced >= local.seq) { setStatus("saved"); return; }
    inflight = true;
    if (navigator.onLine !== false) setStatus("saving");
    var seq = local.seq;
    if (local.sending !== seq) { local.sending = seq; local.sendId = newId(); store(); }
    post(data.urls.draft, { client_id: local.sendId, seq: seq, scores: local.scores })
      .then(function (r) {
        inflight = false;
        if (r.ok) {
          backoff = 1000;
          local.synced = Math.max(local.synced, seq);
          store();
          flush();
        } else if (r.body.error === "already_submitted") {
          localStorage.removeItem(key);
          window.location.reload();
        } else if (r.status >= 500 || r.status === 0) {
          retryLater();
        } else {
          setStatus("error", r.status === 401 ? msg.loggedOut : r.body.message);
          if (r.status === 401) schedule(15000);
        }
      }, function () { retryLater(); });
  }

  function lock() {
    locked = true;
    form.querySelectorAll("input, textarea, button").forEach(function (el) { el.disabled = true; });
  }

  function showReceipt(body) {
    localStorage.removeItem(key);
    lock();
    $("confirm").hidden = true;
    form.hidden = true;
    $("receipt-text").textContent = body.receipt;
    $("receipt-hash").textContent = body.content_hash;
    $("receipt").hidden = false;
    root.querySelector(".sheet-bar").hidden = true;
    $("receipt").focus();
  }

  function sendSubmit() {
    inflight = true;
    lock();
    if (navigator.onLine !== false) setStatus("submitting");
    post(data.urls.submit, local.submit).then(function (r) {
      inflight = false;
      if (r.ok) { showReceipt(r.body); return; }
      if (r.status >= 500 || r.status === 0) { retryLater(msg.offlineSubmit); return; }
      if (r.body.error === "already_submitted") {
        localStorage.removeItem(key);
        window.location.reload();
        return;
      }
      if (r.status === 401) { setStatus("error", msg.loggedOut); schedule(15000); return; }
      // Refused (incomplete, bad signature...): back to the page with the reason.
      local.submit = null;
      store();
      locked = false;
      form.querySelectorAll("input, textarea, button").forEach(function (el) { el.disabled = false; });
      setStatus("error", r.body.message);
      showError(r.body.message);
    }, function () { retryLater(msg.offlineSubmit); });
  }

  function showError(text) {
    var box = $("submit-error");
    box.textContent = text;
    box.hidden = false;
  }

  function showMissing(list) {
    var ul = $("missing-list");
    ul.textContent = "";
    document.querySelectorAll(".criterion--missing").forEach(function (s) {
      s.classList.remove("criterion--missing");
    });
    list.forEach(function (m) {
      var li = document.createElement("li"), a = document.createElement("a");
      a.href = m.what === "note" ? "#note-" + m.code : "#crit-" + m.code;
      a.textContent = format(m.what === "note" ? msg.missingNote : msg.missingLevel,
                             { name: data.names[m.code] });
      li.appendChild(a);
      ul.appendChild(li);
      $("crit-" + m.code).classList.add("criterion--missing");
    });
    $("missing").hidden = list.length === 0;
    if (list.length) $("missing").focus();
  }

  function cell(row, text, label) {
    var td = document.createElement(row.children.length ? "td" : "th");
    if (!row.children.length) td.scope = "row";
    td.textContent = text;
    td.dataset.label = label;
    row.appendChild(td);
  }

  function review() {
    var list = missing();
    showMissing(list);
    if (list.length) return;
    var body = $("summary-body"), labels = body.dataset;
    body.textContent = "";
    data.criteria.forEach(function (code) {
      var e = entry(code), tr = document.createElement("tr");
      cell(tr, data.names[code], labels.labelCriterion);
      cell(tr, e.level + " · " + data.labels[e.level], labels.labelLevel);
      cell(tr, (e.note || "").trim() || msg.noNote, labels.labelNote);
      body.appendChild(tr);
    });
    form.hidden = true;
    $("confirm").hidden = false;
    pad.reset();
    $("submit-error").hidden = true;
    $("confirm-title").focus();
    window.scrollTo(0, 0);
  }

  function submit() {
    if (pad.isEmpty()) { showError(msg.signatureRequired); return; }
    local.seq += 1;
    local.submit = { client_id: newId(), seq: local.seq, scores: local.scores,
                     signature: pad.toDataURL() };
    store();
    flush();
  }

  form.addEventListener("change", function (event) {
    var t = event.target;
    if (t.classList.contains("level__input")) {
      change(t.name.slice(6), "level", Number(t.value));
      schedule(0);
    }
  });
  form.addEventListener("input", function (event) {
    var t = event.target;
    if (t.classList.contains("note__input")) {
      change(t.id.slice(5), "note", t.value);
      schedule(700);
    }
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  $("review").addEventListener("click", review);
  $("back").addEventListener("click", function () {
    $("confirm").hidden = true;
    form.hidden = false;
    $("review").focus();
  });
  $("submit").addEventListener("click", submit);
  $("sig-clear").addEventListener("click", function () { pad.reset(); });
  $("sig-type").addEventListener("click", function () { pad.type($("sig-typed").value); });
  window.addEventListener("online", function () { backoff = 1000; schedule(0); });
  window.addEventListener("offline", function () {
    setStatus("offline", local.submit ? msg.offlineSubmit : msg.offline);
  });

  // Keep the page itself available offline: a service worker where the browser allows one
  // (a secure context), and a copy of this page and its assets in the Cache Storage.
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register(data.urls.sw, { scope: data.urls.scope }).catch(function () {});
    if (window.caches && navigator.onLine !== false && !navigator.serviceWorker.controller) {
      var urls = [window.location.pathname];
      document.querySelectorAll('link[rel="stylesheet"], link[rel="icon"], script[src]')
        .forEach(function (el) { urls.push(el.getAttribute("href") || el.getAttribute("src")); });
      caches.open("scoring-examine-v1").then(function (cache) { return cache.addAll(urls); })
        .catch(function () {});
    }
  }

  render();
  if (local.submit) lock();
  if (navigator.onLine === false) setStatus("offline", local.submit ? msg.offlineSubmit : msg.offline);
  schedule(0);
})();

/* Back after a submit: a page restored from the back/forward cache would show the editable
   form as it was; load it again so the server shows the receipt. */
window.addEventListener("pageshow", function (event) {
  if (event.persisted) window.location.reload();
});
