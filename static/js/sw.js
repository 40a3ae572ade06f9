/* scoring: service worker for the examiner's pages (scope /examine/).
   Network first; when the network is down, the last copy of the page and its assets, so that
   reloading a scoring page offline still shows it (the scores themselves live in
   localStorage and are synced by examine.js). Licence: the project's own code. */
"use strict";

var CACHE = "scoring-examine-v1";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

function cacheable(request) {
  if (request.method !== "GET") return false;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return false;
  if (url.pathname.indexOf("/static/") === 0) return true;
  return request.mode === "navigate" && url.pathname.indexOf("/examine/") === 0;
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (!cacheable(request)) return;
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok && response.type === "basic") {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(request, { ignoreVary: true }).then(function (cached) {
      return cached || Response.error();
    });
  }));
});
