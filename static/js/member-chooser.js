/* Panel member chooser: a search box, the matching people, the chosen list, the chair among them.
 *
 * Enhances a plain <select multiple data-member-chooser> (which works alone without JavaScript).
 * The select stays the form's field: choosing moves its <option> to the end and selects it, so
 * the browser submits the members in the order they were chosen. The chair <select
 * data-chair-of="members"> offers only chosen members. Labels come from data-label-* attributes
 * (translated by the server); no inline script, so the page's CSP can allow only 'self'.
 */
(function () {
  "use strict";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function fold(text) {
    return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  function enhance(select) {
    var label = function (name) { return select.getAttribute("data-label-" + name) || name; };
    var chair = document.querySelector('select[data-chair-of="' + select.id + '"]');
    var box = el("div", { "class": "chooser" });
    var searchId = select.id + "-search";
    var search = el("input", { type: "search", id: searchId, "class": "field__input chooser__search",
      autocomplete: "off", placeholder: label("search"), "aria-label": label("search"),
      "aria-controls": select.id + "-matches" });
    var count = el("p", { "class": "chooser__count muted", "aria-live": "polite" });
    var matches = el("ul", { "class": "chooser__list chooser__matches", id: select.id + "-matches" });
    var chosenTitle = el("p", { "class": "chooser__title", id: select.id + "-chosen-title" },
      label("chosen"));
    var chosen = el("ol", { "class": "chooser__list chooser__chosen",
      "aria-labelledby": select.id + "-chosen-title" });
    var columns = el("div", { "class": "chooser__columns" });
    var left = el("div", { "class": "chooser__column" });
    var right = el("div", { "class": "chooser__column" });
    left.append(search, count, matches);
    right.append(chosenTitle, chosen);
    columns.append(left, right);
    box.append(columns);
    select.after(box);
    select.hidden = true;
    select.setAttribute("aria-hidden", "true");
    select.tabIndex = -1;

    function options() { return Array.prototype.slice.call(select.options); }

    function row(option, action, text) {
      var item = el("li", { "class": "chooser__item" });
      var button = el("button", { type: "button", "class": "chooser__button",
        "data-value": option.value });
      button.append(el("span", { "class": "chooser__name" }, option.text));
      button.append(el("span", { "class": "chooser__action" }, text));
      button.addEventListener("click", function () { action(option); });
      item.append(button);
      return item;
    }

    function syncChair() {
      if (!chair) { return; }
      var picked = {};
      options().forEach(function (o) { if (o.selected) { picked[o.value] = true; } });
      Array.prototype.forEach.call(chair.options, function (o) {
        var allowed = o.value === "0" || picked[o.value] === true;
        o.disabled = !allowed;
        o.hidden = !allowed;
      });
      if (chair.selectedOptions.length && chair.selectedOptions[0].disabled) { chair.value = "0"; }
    }

    function render() {
      var query = fold(search.value.trim());
      var shown = 0;
      var total = 0;
      matches.replaceChildren();
      chosen.replaceChildren();
      options().forEach(function (option) {
        if (option.selected) {
          chosen.append(row(option, remove, label("remove")));
          return;
        }
        total += 1;
        if (query && fold(option.text).indexOf(query) === -1) { return; }
        shown += 1;
        matches.append(row(option, add, label("add")));
      });
      if (!chosen.children.length) {
        chosen.append(el("li", { "class": "chooser__empty muted" }, label("none")));
      }
      if (!shown) { matches.append(el("li", { "class": "chooser__empty muted" }, label("nomatch"))); }
      count.textContent = label("count").replace("{n}", shown).replace("{total}", total);
      syncChair();
    }

    function add(option) {
      select.append(option);  // to the end: the submitted order is the order of choosing
      option.selected = true;
      render();
      search.focus();
    }

    function remove(option) {
      option.selected = false;
      render();
    }

    search.addEventListener("input", render);
    search.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") { return; }
      event.preventDefault();  // Enter adds the only match instead of submitting the form
      var buttons = matches.querySelectorAll(".chooser__button");
      if (buttons.length === 1) { buttons[0].click(); }
    });
    // Chosen first, in the order the server listed them (the panel's order).
    options().filter(function (o) { return o.selected; }).forEach(function (o) { select.append(o); });
    render();
  }

  document.querySelectorAll("select[data-member-chooser]").forEach(enhance);
})();
