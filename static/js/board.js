/* The chair's live board: poll the board's JSON and update the table in place.
   No framework, no inline script (CSP script-src 'self'); text only through textContent.
   The server never sends scores before a candidate's sheets are all in, so nothing here
   has to hide anything. Polling pauses while the tab is hidden and backs off when offline. */
(function () {
  "use strict";

  var table = document.getElementById("board");
  if (!table || !window.fetch) { return; }
  var url = table.getAttribute("data-state-url");
  var interval = parseInt(table.getAttribute("data-interval"), 10) || 5000;
  var L = JSON.parse(table.getAttribute("data-labels"));
  var ICONS = { submitted: "\u2713", draft: "\u270E", recused: "\u2298", not_started: "\u00B7" };
  var locale = L.lang === "id" ? "id-ID" : "en-GB";
  var plain = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  var sign = new Intl.NumberFormat(locale, {
    minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: "exceptZero"
  });
  var offline = document.getElementById("board-offline");
  var updated = document.getElementById("board-updated");
  var failures = 0;
  var timer = null;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function fill(node, parts) {
    while (node.firstChild) { node.removeChild(node.firstChild); }
    parts.forEach(function (part) {
      node.appendChild(typeof part === "string" ? document.createTextNode(part) : part);
    });
  }

  function icon(text) {
    var span = el("span", null, text);
    span.setAttribute("aria-hidden", "true");
    return span;
  }

  function sheetCell(td, state) {
    td.className = "sheet sheet--" + state;
    fill(td, [el("span", "sheet__icon", ICONS[state] || "\u00B7"), " ",
              el("span", "sheet__label", L.states[state] || state)]);
    td.firstChild.setAttribute("aria-hidden", "true");
  }

  function statusCell(td, c) {
    var parts = [el("span", "cstatus cstatus--" + c.status, L.statuses[c.status] || c.status)];
    if (c.final_score !== null) {
      parts.push(" ", el("strong", "score", plain.format(c.final_score)));
      if (c.overridden) { parts.push(" ", el("span", "manual", "\u270E " + L.manual)); }
    }
    fill(td, parts);
  }

  function renderRow(tr, c) {
    tr.querySelectorAll("td[data-col]").forEach(function (td) {
      var state = c.cells[parseInt(td.getAttribute("data-col"), 10)];
      if (!td.classList.contains("sheet--" + state)) { sheetCell(td, state); }
    });
    var q = tr.querySelector('[data-field="quorum"]');
    q.className = "quorum " + (c.quorum_met ? "quorum--met" : "quorum--waiting");
    var note = el("span", "cell-note");
    fill(note, c.quorum_met ? [icon("\u2713"), " " + L.quorum] : [L.quorum]);
    fill(q, [el("span", "quorum__count", c.submitted + "/" + c.expected), " ", note]);
    var d = tr.querySelector('[data-field="discrepancies"]');
    d.className = "disc" + (c.discrepancies && c.discrepancies.length ? " disc--flagged" : "");
    if (c.discrepancies === null) {
      fill(d, [el("span", "muted", L.hidden)]);
    } else if (c.discrepancies.length) {
      fill(d, [icon("\u2691"), " " + c.discrepancies.join(", ")]);
    } else {
      fill(d, [L.none]);
    }
    statusCell(tr.querySelector('[data-field="status"]'), c);
  }

  function renderFeedback(items) {
    var list = document.getElementById("feedback");
    if (!list) { return; }
    fill(list, items.map(function (f) {
      var li = el("li", "feedback__item" + (f.attention ? " feedback__item--attention" :
        f.watch ? " feedback__item--watch" : ""));
      li.setAttribute("data-examiner", f.examiner);
      var value = el("span", "feedback__value");
      if (f.deviation === null) {
        value.appendChild(el("span", "muted", L.of_sheets.replace("{n}", f.sheets)
          .replace("{m}", L.min_sheets)));
      } else {
        value.appendChild(document.createTextNode(sign.format(f.deviation) + " "));
        var ci = f.ci_low === null ? "" : L.ci + " " + sign.format(f.ci_low) + " " + L.to + " " +
          sign.format(f.ci_high) + "; ";
        value.appendChild(el("span", "muted", "(" + ci + L.n_sheets.replace("{n}", f.sheets) + ")"));
        if (f.attention) {
          var strong = el("strong", "feedback__flag");
          fill(strong, [icon("\u2691"), " " + L.attention]);
          value.appendChild(document.createTextNode(" "));
          value.appendChild(strong);
        } else if (f.watch) {
          value.appendChild(document.createTextNode(" "));
          value.appendChild(el("span", "feedback__watch", L.watch));
        }
      }
      fill(li, [el("span", "feedback__name", f.name), " ", value]);
      return li;
    }));
  }

  function render(data) {
    var body = table.tBodies[0];
    var rows = {};
    Array.prototype.forEach.call(body.rows, function (tr) {
      rows[tr.getAttribute("data-assignment")] = tr;
    });
    var headers = table.tHead.rows[0].cells.length;
    if (data.candidates.length !== body.rows.length || headers !== data.examiners.length + 5 ||
        data.candidates.some(function (c) { return !rows[c.assignment_id]; })) {
      window.location.reload();  // candidates or examiners changed: rebuild from the server
      return;
    }
    data.candidates.forEach(function (c) { renderRow(rows[c.assignment_id], c); });
    Object.keys(data.counts).forEach(function (key) {
      var node = document.querySelector('[data-count="' + key + '"]');
      if (node) { node.textContent = data.counts[key]; }
    });
    renderFeedback(data.feedback);
    if (updated) {
      var now = new Date();
      updated.textContent = now.toLocaleTimeString(locale);
      updated.setAttribute("datetime", now.toISOString());
    }
  }

  function schedule() {
    clearTimeout(timer);
    // back off while the server cannot be reached: 5 s, 10 s, 20 s ... at most 60 s
    var wait = Math.min(interval * Math.pow(2, Math.min(failures, 4)), 60000);
    timer = setTimeout(tick, wait);
  }

  function tick() {
    if (document.hidden) { schedule(); return; }
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin",
                 cache: "no-store" })
      .then(function (response) {
        if (response.status === 401 || response.status === 403) {
          window.location.reload();  // logged out: the page itself will ask to log in
          throw new Error("auth");
        }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        if (offline) { offline.hidden = true; }
        render(data);
      })
      .catch(function () {
        failures += 1;
        if (offline) { offline.hidden = false; }
      })
      .then(schedule);
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { tick(); }
  });
  schedule();
}());
