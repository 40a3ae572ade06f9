/* scoring: on logout, drop the pages the examiner's service worker cached, so the next person
   on a shared tablet cannot open them offline. Unsynced drafts live in localStorage under the
   examiner's own key and are kept until they reach the server. Licence: the project's own code. */
(function () {
  "use strict";
  var form = document.querySelector("form.logout");
  if (!form || !window.caches) return;
  form.addEventListener("submit", function (event) {
    if (form.dataset.cleared) return;
    event.preventDefault();
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (name) {
        return name.indexOf("scoring-") === 0;
      }).map(function (name) { return caches.delete(name); }));
    }).catch(function () { /* nothing cached, or storage unavailable */ }).then(function () {
      form.dataset.cleared = "1";
      form.submit();
    });
  });
})();
