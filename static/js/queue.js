/* scoring: the examiner's queue, as this tablet holds it. Licence: the project's own code.

   Pre-loads the day (offline.js) and shows, per candidate, what waits in the outbox: the
   declaration, the draft, or a sheet signed on the tablet and not yet received by the server.
   A receipt is shown only when the server sent it; a refusal (a closed candidate...) is shown
   with the server's message. The page itself may be a copy kept for offline use. */
(function () {
  "use strict";

  var outbox = window.ScoringOutbox;
  var config = document.getElementById("queue-data");
  if (!outbox || !config) return;
  config = JSON.parse(config.textContent);
  var msg = config.messages;
  var $ = function (id) { return document.getElementById(id); };

  function format(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, name) { return values[name]; });
  }

  function line(text, kind) {
    var span = document.createElement("span");
    span.className = "queue__pending queue__pending--" + kind;
    span.textContent = text;
    return span;
  }

  function setState(item, state) {
    var label = item.querySelector(".state");
    if (!label || !config.states[state]) return;
    label.className = "state state--" + state;
    label.textContent = config.states[state];
    item.className = "queue__item queue__item--" + state;
  }

  /* One row: the state the server last told this tablet, then what waits on the tablet. */
  function row(item, day, counts) {
    var id = item.dataset.assignment, e = outbox.entry(id), p = outbox.pending(e);
    var known = day && day.sheets && day.sheets[id];
    var state = item.dataset.state;
    if (known && known.state !== "not_started") state = known.state;
    if (e.declaration && state === "not_started") {
      state = e.declaration.relationship === "none" ? "draft" : "recused";
    }
    var receipt = e.receipt ? e.receipt.receipt : (known && known.receipt);
    if (receipt) state = "submitted";
    setState(item, state);
    var box = item.querySelector(".queue__outbox"), old = item.querySelector(".queue__receipt");
    if (receipt && !old) {
      old = document.createElement("span");
      old.className = "queue__receipt";
      box.parentNode.insertBefore(old, box);
    }
    if (receipt) old.textContent = receipt;
    box.textContent = "";
    if (p.declaration) { box.appendChild(line(msg.declaration, "declaration")); counts.declarations++; }
    if (p.submit) { box.appendChild(line(msg.submit, "submit")); counts.submissions++; }
    if (p.draft) { box.appendChild(line(msg.draft, "draft")); counts.drafts++; }
    if (e.refused) {
      box.appendChild(line(format(msg.refused, { message: e.refused.message }), "refused"));
      counts.refused++;
    }
    box.hidden = !box.children.length;
  }

  function clock(ms) {
    var d = new Date(ms);
    return (d.getHours() < 10 ? "0" : "") + d.getHours() + ":" +
      (d.getMinutes() < 10 ? "0" : "") + d.getMinutes();
  }

  function show() {
    var day = outbox.day();
    var counts = { declarations: 0, drafts: 0, submissions: 0, refused: 0 };
    document.querySelectorAll(".queue__item[data-assignment]").forEach(function (item) {
      row(item, day, counts);
    });
    var waiting = counts.declarations + counts.drafts + counts.submissions;
    var state = outbox.state(), sync = $("day-sync");
    var text = waiting ? format(msg.waiting, counts) : msg.allReceived;
    if (counts.refused) text = format(msg.someRefused, counts) + (waiting ? " " + text : "");
    if (state === "loggedOut") text = msg.loggedOut + " " + text;
    else if (waiting && (state === "offline" || navigator.onLine === false)) {
      text = msg.offline + " " + text;
    }
    sync.textContent = text;
    sync.dataset.state = counts.refused || (waiting && state === "loggedOut") ? "error"
      : waiting ? "waiting" : "done";
    var kept = $("day-kept");
    if (day && day.kept_at) {
      kept.textContent = Object.keys(day.sheets || {}).length
        ? format(msg.kept, { n: day.kept, time: clock(day.kept_at) }) : msg.noToday;
    } else {
      kept.textContent = msg.notKept;
    }
    $("day-status").hidden = false;
  }

  outbox.on(show);
  window.addEventListener("online", function () { show(); outbox.preload(); });
  window.addEventListener("offline", show);
  show();
  outbox.preload();
  // A queue left open all morning keeps its copy of the day fresh.
  setInterval(function () { outbox.preload(); }, 300000);
})();
