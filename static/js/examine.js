/* scoring: the examiner's scoring page (and the declaration page, which carries it).
   Licence: the project's own code.

   Every change is kept on the tablet at once, as the sheet's full state with a sequence
   number that only grows on this tablet; it is sent, and the server keeps the highest, so
   retries and late arrivals never overwrite newer scores. Offline, the page says so and keeps
   working; a receipt is shown only once the server sent it.

   Where the state goes is the component's data-mode (templates/examine/_scoring.html):
   - "outbox" (a real sheet): the outbox of offline.js, with the declaration and the signed
     submission, in order, kept and pre-loaded for the day;
   - "direct" (practice, shadow): the endpoints named by data-draft-url and data-submit-url,
     a tablet copy under data-store-key of its own; nothing enters the outbox, the offline
     pre-load or the page cache, and after the receipt the page goes on to data-done-url. */
(function () {
  "use strict";

  /* The "direct" mode: the same interface as the outbox (entry, save, pending, flush, on,
     state, newId) for one sheet of its own, posted to the page's two endpoints. */
  function directStore(root, user) {
    var cfg = root.dataset, key = "scoring:direct:v1:" + user + ":" + cfg.storeKey;
    var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
    var listeners = [], status = "idle", busy = false, timer = null, backoff = 1000;
    var e = null;
    try { e = JSON.parse(localStorage.getItem(key)); } catch (err) { e = null; }
    if (!e || typeof e.seq !== "number") {
      e = { seq: 0, synced: 0, scores: {}, declaration: null, submit: null, receipt: null,
            refused: null, server: null };
    }

    function newId() {
      var bytes = new Uint8Array(16);
      crypto.getRandomValues(bytes);
      return Array.prototype.map.call(bytes, function (b) {
        return (b < 16 ? "0" : "") + b.toString(16);
      }).join("");
    }
    function notify() {
      listeners.forEach(function (fn) { try { fn(status); } catch (err) { /* a page's bug */ } });
    }
    function setStatus(next) { status = next; notify(); }
    function save() {
      try {
        if (e.receipt) localStorage.removeItem(key);  // the server has it: nothing to keep
        else localStorage.setItem(key, JSON.stringify(e));
      } catch (err) { /* full: server only */ }
      notify();
    }
    function pending(x) {
      if (x.refused && x.refused.final) {
        return { declaration: false, submit: false, draft: false, any: false };
      }
      var draft = !x.submit && x.seq > x.synced;
      return { declaration: false, submit: !!x.submit, draft: draft, any: !!x.submit || draft };
    }
    function schedule(ms) { clearTimeout(timer); timer = setTimeout(flush, ms); }
    function retryLater() {
      setStatus("offline");
      backoff = Math.min(backoff * 2, 8000);
      schedule(backoff);
    }
    function flush() {
      if (busy) return;
      var p = pending(e);
      if (!p.any) { setStatus(status === "loggedOut" ? status : "idle"); return; }
      var kind = p.submit ? "submit" : "draft", body = e.submit;
      if (kind === "draft") {
        if (e.sending !== e.seq) { e.sending = e.seq; e.sendId = newId(); save(); }
        body = { client_id: e.sendId, seq: e.seq, scores: e.scores };
      }
      busy = true;
      setStatus(navigator.onLine === false ? "offline" : "sending");
      fetch(kind === "submit" ? cfg.submitUrl : cfg.draftUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json",
                   "X-CSRFToken": csrf, "X-Client-Id": body.client_id },
        body: JSON.stringify(body)
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (json) {
          busy = false;
          handle(kind, body, response, json || {});
        });
      }, function () { busy = false; retryLater(); });
    }
    function handle(kind, body, r, json) {
      if (r.status >= 500) { retryLater(); return; }
      if (r.status === 401) { setStatus("loggedOut"); schedule(15000); return; }
      backoff = 1000;
      if (json.error === "already_submitted") {  // submitted elsewhere: the server's page
        try { localStorage.removeItem(key); } catch (err) { /* */ }
        window.location.assign(cfg.doneUrl);
        return;
      }
      if (r.ok) {
        e.refused = null;
        e.synced = Math.max(e.synced, body.seq);
        if (kind === "submit") {
          e.receipt = { receipt: json.receipt, content_hash: json.content_hash || "" };
          e.submit = null;
          e.server = "submitted";
        }
      } else {
        if (kind === "submit") e.submit = null;
        else e.synced = Math.max(e.synced, body.seq);
        e.refused = { kind: kind, code: json.error || String(r.status),
                      message: json.message || String(r.status), final: false };
      }
      save();
      schedule(0);
    }
    window.addEventListener("online", function () { backoff = 1000; schedule(0); });
    return {
      entry: function () { return e; }, save: save, pending: pending, newId: newId,
      flush: function () { backoff = 1000; schedule(0); },
      on: function (fn) { listeners.push(fn); },
      state: function () { return status; }
    };
  }

  var root = document.getElementById("sheet");
  if (!root) return;
  var data = JSON.parse(document.getElementById("sheet-data").textContent);
  var direct = root.dataset.mode === "direct";
  var outbox = direct ? directStore(root, data.user) : window.ScoringOutbox;
  if (!outbox) return;
  var msg = data.messages;
  var $ = function (id) { return document.getElementById(id); };
  var form = $("sheet-form"), statusLine = $("sync-status");
  var pad = window.SignaturePad ? window.SignaturePad($("signature")) : null;
  var locked = false, shownRefusal = null, noteTimer = null;

  // The tablet's copy wins only when it is at least as new as what the server has applied.
  var local = outbox.entry(data.assignment);
  if (local.seq < data.seq || (local.seq === 0 && !local.declaration)) {
    local.seq = local.synced = data.seq;
    local.scores = data.scores;
    local.submit = null;
  }
  if (data.status !== "not_started") local.server = data.status;
  else if (!local.server) local.server = "not_started";
  outbox.save(data.assignment);

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
    if (local.refused && !local.refused.final) local.refused = null;
    outbox.save(data.assignment);
    render();
  }

  /* The status line, the pending-submission notice and the receipt, from the outbox. */
  function show() {
    if (local.receipt) { showReceipt(local.receipt); return; }
    var d = local.declaration;
    if (d && d.relationship !== "none" && $("recused-local-status")) {
      $("recused-local-status").textContent = d.acked ? (d.receipt || "") : msg.declarationWaiting;
    }
    var p = outbox.pending(local), state = outbox.state();
    $("pending-submit").hidden = !p.submit;
    var refused = local.refused;
    $("refused").hidden = !refused;
    if (refused) $("refused").textContent = refused.message;
    if (refused && refused !== shownRefusal) {
      shownRefusal = refused;
      if (refused.kind === "submit" && !local.submit) unlock();
      if (refused.kind === "submit") showError(refused.message);
    }
    if (refused && !p.any) { setStatus("error", refused.message); return; }
    if (state === "loggedOut" && p.any) { setStatus("error", msg.loggedOut); return; }
    if (!p.any) { setStatus("saved"); return; }
    if (state === "offline" || navigator.onLine === false) {
      setStatus("offline", p.submit ? msg.offlineSubmit : msg.offline);
      return;
    }
    setStatus(p.submit ? "submitting" : "saving");
  }

  function lock() {
    locked = true;
    form.querySelectorAll("input, textarea, button").forEach(function (el) { el.disabled = true; });
    $("confirm").querySelectorAll("input, button").forEach(function (el) { el.disabled = true; });
  }

  function unlock() {
    locked = false;
    form.querySelectorAll("input, textarea, button").forEach(function (el) { el.disabled = false; });
    $("confirm").querySelectorAll("input, button").forEach(function (el) { el.disabled = false; });
  }

  function showReceipt(receipt) {
    if (!$("receipt").hidden) return;
    lock();
    $("confirm").hidden = true;
    $("pending-submit").hidden = true;
    form.hidden = true;
    $("receipt-text").textContent = receipt.receipt;
    $("receipt-hash").textContent = receipt.content_hash;
    $("receipt").hidden = false;
    root.querySelector(".sheet-bar").hidden = true;
    $("receipt").focus();
    if (direct && root.dataset.doneUrl) window.location.assign(root.dataset.doneUrl);
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
    local.submit = { client_id: outbox.newId(), seq: local.seq,
                     scores: JSON.parse(JSON.stringify(local.scores)),
                     signature: pad.toDataURL() };
    local.refused = null;
    $("submit-error").hidden = true;
    lock();
    outbox.save(data.assignment);
    outbox.flush();
  }

  form.addEventListener("change", function (event) {
    var t = event.target;
    if (t.classList.contains("level__input")) {
      change(t.name.slice(6), "level", Number(t.value));
      outbox.flush();
    }
  });
  form.addEventListener("input", function (event) {
    var t = event.target;
    if (t.classList.contains("note__input")) {
      change(t.id.slice(5), "note", t.value);
      clearTimeout(noteTimer);
      noteTimer = setTimeout(outbox.flush, 700);
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
  window.addEventListener("offline", show);
  window.addEventListener("online", show);

  /* The declaration page: declared on this tablet already, the scoring form (or the recusal)
     shows at once; otherwise the declaration goes into the outbox, ahead of the scores. */
  function showStep() {
    var d = local.declaration;
    if (!d) return;
    $("declare-step").hidden = true;
    if (d.relationship === "none") {
      $("scoring-step").hidden = false;
    } else {
      $("recused-local").hidden = false;
    }
    if (window.location.pathname !== data.urls.sheet) {
      window.history.replaceState(null, "", data.urls.sheet);
    }
  }

  function declareError(text) {
    var box = $("declare-error");
    box.textContent = text;
    box.hidden = false;
    box.focus();
  }

  function declare(event) {
    event.preventDefault();
    var declForm = event.target, choice = declForm.querySelector('input[name="relationship"]:checked');
    var detail = (declForm.querySelector('[name="detail"]') || {}).value || "";
    var confirmBox = declForm.querySelector('[name="confirm_recusal"]');
    if (!choice) { declareError(msg.chooseRelationship); return; }
    if (choice.value === "other" && !detail.trim()) { declareError(msg.detailRequired); return; }
    if (choice.value !== "none" && !(confirmBox && confirmBox.checked)) {
      declareError(msg.confirmRecusal);
      return;
    }
    local = outbox.declare(data.assignment, choice.value, detail.trim(), data.seq);
    showStep();
    window.scrollTo(0, 0);
  }

  if (data.status === "not_started" && !direct) {
    var declForm = document.querySelector("#declare-step form");
    if (declForm) declForm.addEventListener("submit", declare);
    showStep();
  }

  // The first visit, before the service worker controls the page: keep this page and its
  // assets in the cache by hand, so that a reload offline still finds them.
  if (!direct && window.caches && navigator.onLine !== false && !(navigator.serviceWorker &&
      navigator.serviceWorker.controller)) {
    var urls = [window.location.pathname];
    document.querySelectorAll('link[rel="stylesheet"], link[rel="icon"], script[src]')
      .forEach(function (el) { urls.push(el.getAttribute("href") || el.getAttribute("src")); });
    outbox.refreshPages(urls);
  }

  outbox.on(show);
  render();
  if (local.submit) lock();
  show();
  outbox.flush();
})();

/* Back after a submit: a page restored from the back/forward cache would show the editable
   form as it was; load it again so the server shows the receipt. */
window.addEventListener("pageshow", function (event) {
  if (event.persisted) window.location.reload();
});
