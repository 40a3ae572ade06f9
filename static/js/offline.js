/* scoring: the examiner's day offline. Licence: the project's own code.

   One outbox per examiner on this tablet, in localStorage: for every candidate, the
   conflict-of-interest declaration, the newest draft and the signed submission, each with a
   client id and a sequence number that only grows for that sheet. They are sent in order
   (declaration, then submission or draft), one request at a time; the server applies each
   exactly once and answers a replay with the same receipt. A receipt is kept only when the
   server sent it. On the queue (and the home page) the day is pre-loaded: the queue, every
   candidate's declaration and scoring page and the assets go into the Cache Storage that the
   service worker answers from when the network is down.

   window.ScoringOutbox: entry(id), save(id), declare(id, relationship, detail), flush(),
   pending(entry), on(listener), state().  */
(function () {
  "use strict";

  var config = document.getElementById("outbox-data");
  if (!config) return;
  config = JSON.parse(config.dataset.config);
  var msg = config.messages;
  var prefix = "scoring:v2:" + config.user + ":";
  var entries = {}, listeners = [], status = "idle", busy = false, timer = null;
  var backoff = 1000, csrf = config.csrf, csrfRetries = 0;

  function newId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }

  function read(key) {
    try { return JSON.parse(localStorage.getItem(key)); } catch (e) { return null; }
  }

  function blank(id) {
    return { id: id, seq: 0, synced: 0, scores: {}, declaration: null, submit: null,
             receipt: null, refused: null, server: null };
  }

  /* The entry of one candidate, shared by reference with the page (one copy per tab). A
     tablet's older, one-sheet draft (scoring:v1) is taken over on first use. */
  function entry(id) {
    id = String(id);
    if (entries[id]) return entries[id];
    var e = read(prefix + id);
    if (!e) {
      var old = read("scoring:v1:" + config.user + ":" + id);
      e = blank(id);
      if (old && typeof old.seq === "number") {
        e.seq = old.seq; e.synced = old.synced || 0; e.scores = old.scores || {};
        e.submit = old.submit || null; e.sending = old.sending; e.sendId = old.sendId;
      }
    }
    entries[id] = e;
    return e;
  }

  function save(id) {
    var e = entry(id);
    try { localStorage.setItem(prefix + e.id, JSON.stringify(e)); } catch (err) { /* full */ }
    try { localStorage.removeItem("scoring:v1:" + config.user + ":" + e.id); } catch (err) { /* */ }
    notify();
  }

  function allIds() {
    var ids = [];
    for (var i = 0; i < localStorage.length; i++) {
      var key = localStorage.key(i);
      if (key && key.indexOf(prefix) === 0 && /^\d+$/.test(key.slice(prefix.length))) {
        ids.push(key.slice(prefix.length));
      }
    }
    Object.keys(entries).forEach(function (id) { if (ids.indexOf(id) === -1) ids.push(id); });
    return ids.sort(function (a, b) { return a - b; });
  }

  /* What of an entry waits to be sent: {declaration, draft, submit} booleans. */
  function pending(e) {
    if (e.refused && e.refused.final) {  // refused for good: nothing more will be sent
      return { declaration: false, submit: false, draft: false, any: false };
    }
    var decl = e.declaration && !e.declaration.acked;
    var floor = Math.max(e.synced, e.declaration ? e.declaration.seq : 0);
    return { declaration: !!decl, submit: !!e.submit, draft: !e.submit && e.seq > floor,
             any: !!(decl || e.submit || e.seq > floor) };
  }

  function notify() {
    listeners.forEach(function (fn) { try { fn(status); } catch (err) { /* a page's bug */ } });
  }

  function setStatus(next) { status = next; notify(); }

  function url(id, verb) { return config.urls.api + id + "/" + verb; }

  function post(target, body) {
    return fetch(target, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": csrf, "X-Client-Id": body.client_id },
      body: JSON.stringify(body)
    }).then(answer);
  }

  function answer(response) {
    return response.json().catch(function () { return {}; }).then(function (json) {
      return { status: response.status, ok: response.ok, body: json };
    });
  }

  /* The next request to send, or null: declaration first, then submission, then draft. */
  function nextAction() {
    var ids = allIds();
    for (var i = 0; i < ids.length; i++) {
      var e = entry(ids[i]);
      if (e.refused && e.refused.final) continue;
      var p = pending(e);
      if (p.declaration) {
        var d = e.declaration;
        return { e: e, kind: "declaration", url: url(e.id, "declare"),
                 body: { client_id: d.client_id, seq: d.seq, relationship: d.relationship,
                         detail: d.detail } };
      }
      if (e.declaration && e.declaration.relationship !== "none") continue;
      if (p.submit) return { e: e, kind: "submit", url: url(e.id, "submit"), body: e.submit };
      if (p.draft) {
        if (e.sending !== e.seq) { e.sending = e.seq; e.sendId = newId(); save(e.id); }
        return { e: e, kind: "draft", url: url(e.id, "draft"),
                 body: { client_id: e.sendId, seq: e.seq, scores: e.scores } };
      }
    }
    return null;
  }

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(flush, ms);
  }

  function flush() {
    if (busy) return;
    var action = nextAction();
    if (!action) { setStatus(status === "loggedOut" ? status : "idle"); return; }
    busy = true;
    setStatus(navigator.onLine === false ? "offline" : "sending");
    post(action.url, action.body).then(function (r) {
      busy = false;
      handle(action, r);
    }, function () {
      busy = false;
      retryLater();
    });
  }

  function retryLater() {
    setStatus("offline");
    backoff = Math.min(backoff * 2, 8000);
    schedule(backoff);
  }

  function handle(action, r) {
    var e = action.e, body = r.body || {};
    if (r.status === 0 || r.status >= 500) { retryLater(); return; }
    if (r.status === 401) { setStatus("loggedOut"); schedule(15000); return; }
    if (r.status === 400 && body.error === "csrf" && csrfRetries < 2) {
      // A new login has a new token: fetch it with the day and send again.
      csrfRetries += 1;
      refreshDay().then(function () { schedule(0); }, retryLater);
      return;
    }
    csrfRetries = 0;
    backoff = 1000;
    if (r.ok) acknowledge(action, body);
    else refuse(action, r.status, body);
    save(e.id);
    schedule(0);
  }

  function acknowledge(action, body) {
    var e = action.e;
    e.refused = null;
    if (action.kind === "declaration") {
      e.declaration.acked = true;
      e.declaration.receipt = body.receipt;
      e.synced = Math.max(e.synced, e.declaration.seq);
      e.server = body.status === "recused" ? "recused" : "draft";
      refreshPages([config.urls.sheet.replace("/0", "/" + e.id)]);
    } else if (action.kind === "draft") {
      e.synced = Math.max(e.synced, action.body.seq);
    } else {
      e.receipt = { receipt: body.receipt, content_hash: body.content_hash,
                    submitted_at: body.submitted_at };
      e.synced = Math.max(e.synced, e.submit.seq);
      e.seq = Math.max(e.seq, e.synced);
      e.submit = null;
      e.server = "submitted";
    }
  }

  var FINAL = ["candidate_closed", "session_not_open", "recused", "marked_absent", "not_found",
               "already_submitted", "already_declared"];

  function refuse(action, code, body) {
    var e = action.e;
    if (body.error === "stale_seq" && action.kind === "draft") {
      // The server holds a newer version (another device): take it, never overwrite it.
      adopt(e);
      return;
    }
    if (action.kind === "declaration") {
      // already_declared: the server holds a declaration made elsewhere; otherwise the
      // examiner declares again (the refusal says why).
      if (body.error === "already_declared") e.declaration.acked = true;
      else e.declaration = null;
    }
    if (action.kind === "submit") e.submit = null;
    if (action.kind === "draft") e.synced = Math.max(e.synced, action.body.seq);
    e.refused = { kind: action.kind, code: body.error || String(code),
                  message: body.message || msg.refused,
                  final: FINAL.indexOf(body.error) !== -1 };
    if (body.error === "already_submitted") e.server = "submitted";
  }

  function adopt(e) {
    fetch(config.urls.state.replace("/0/", "/" + e.id + "/"), { credentials: "same-origin",
      headers: { "Accept": "application/json" } }).then(answer).then(function (r) {
      if (!r.ok) return;
      if (r.body.seq >= e.seq) {
        e.seq = e.synced = r.body.seq;
        e.scores = r.body.scores;
        e.adopted = true;
      } else {
        e.synced = Math.max(e.synced, r.body.seq);
      }
      save(e.id);
      schedule(0);
    }, function () { schedule(backoff); });
    e.synced = Math.max(e.synced, e.sending || 0);
  }

  /* A new declaration: the sheet's first action, ahead of its drafts. */
  function declare(id, relationship, detail, serverSeq) {
    var e = entry(id);
    e.seq = Math.max(e.seq, serverSeq || 0) + 1;
    e.declaration = { client_id: newId(), seq: e.seq, relationship: relationship,
                      detail: detail || "", acked: false, receipt: null };
    e.refused = null;
    save(id);
    schedule(0);
    return e;
  }

  // ---- the day pre-loaded ------------------------------------------------------------------

  function day() { return read(prefix + "day"); }

  function refreshDay() {
    return fetch(config.urls.day, { credentials: "same-origin",
      headers: { "Accept": "application/json" } }).then(answer).then(function (r) {
      if (r.status === 401) { setStatus("loggedOut"); throw new Error("logged out"); }
      if (!r.ok) throw new Error("day " + r.status);
      csrf = r.body.csrf;
      var before = day();
      r.body.fetched_at = Date.now();
      try { localStorage.setItem(prefix + "day", JSON.stringify(r.body)); } catch (e) { /* */ }
      notify();
      return { now: r.body, before: before };
    });
  }

  function refreshPages(urls, cacheName) {
    if (!window.caches) return Promise.resolve(0);
    var name = cacheName || config.cache;
    return caches.open(name).then(function (cache) {
      return Promise.all(urls.map(function (u) {
        return fetch(u, { credentials: "same-origin" }).then(function (response) {
          if (!response.ok || response.redirected) return 0;
          return cache.put(u, response).then(function () { return 1; });
        }).catch(function () { return 0; });
      }));
    }).then(function (done) {
      return done.reduce(function (a, b) { return a + b; }, 0);
    }).catch(function () { return 0; });
  }

  /* Keep today's pages on the tablet. All of them when the list or the assets changed or
     they are older than ten minutes, so a queue opened often costs one small request. */
  function preload() {
    if (navigator.onLine === false) return Promise.resolve(null);
    return refreshDay().then(function (result) {
      var now = result.now, before = result.before;
      var fresh = before && before.kept_at && Date.now() - before.kept_at < 600000 &&
        before.cache === now.cache && before.urls.join() === now.urls.join() &&
        before.kept === now.urls.length;
      if (fresh) { now.kept = before.kept; now.kept_at = before.kept_at; }
      var work = fresh ? Promise.resolve(now.kept) : refreshPages(now.urls, now.cache);
      return work.then(function (kept) {
        if (!fresh) { now.kept = kept; now.kept_at = Date.now(); }
        try { localStorage.setItem(prefix + "day", JSON.stringify(now)); } catch (e) { /* */ }
        notify();
        return now;
      });
    }).catch(function () { return null; });
  }

  window.addEventListener("online", function () { backoff = 1000; schedule(0); });
  window.addEventListener("offline", function () { if (status === "sending") setStatus("offline"); });
  window.addEventListener("storage", function (event) {
    if (!event.key || event.key.indexOf(prefix) !== 0) return;
    var id = event.key.slice(prefix.length);
    if (entries[id] && event.newValue) {
      var fresh = JSON.parse(event.newValue);
      Object.keys(fresh).forEach(function (k) { entries[id][k] = fresh[k]; });
    }
    notify();
  });

  // The service worker keeps the examiner's pages (scope /examine/) where it may run.
  if ("serviceWorker" in navigator && window.isSecureContext && config.urls.sw) {
    navigator.serviceWorker.register(config.urls.sw, { scope: config.urls.scope })
      .catch(function () {});
  }

  window.ScoringOutbox = {
    entry: entry, save: save, declare: declare, pending: pending, day: day, ids: allIds,
    preload: preload, refreshPages: refreshPages, newId: newId,
    flush: function () { backoff = 1000; schedule(0); },
    on: function (fn) { listeners.push(fn); },
    state: function () { return status; },
    messages: msg
  };
  schedule(0);
  if (config.preload) preload();  // the home page after login: keep the day at once
})();
