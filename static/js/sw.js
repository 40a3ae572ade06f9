/* scoring: service worker for the examiner's pages (scope /examine/).
   Network first; when the network is down, the last copy of the page and its assets. The
   queue page (offline.js) pre-loads the day's pages into the same cache, so a tablet that
   loses the network can still open every candidate of the day; a candidate whose sheet the
   server did not know when the day was pre-loaded is opened from its declaration page, which
   carries the scoring form too. The scores live in localStorage (the outbox, offline.js).
   The server writes the cache name (the assets' version) into this script, so a change of
   any asset installs a new worker, which moves the kept pages to a fresh cache.
   Licence: the project's own code. */
"use strict";

var CACHE = "__CACHE_NAME__";
var PREFIX = "scoring-examine-";

self.addEventListener("install", function () { self.skipWaiting(); });

// Carry the kept pages over from an older cache (the new assets come with the next visit),
// then drop the older caches.
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    var old = names.filter(function (n) { return n.indexOf(PREFIX) === 0 && n !== CACHE; });
    return caches.open(CACHE).then(function (fresh) {
      return Promise.all(old.map(function (name) {
        return caches.open(name).then(function (cache) {
          return cache.keys().then(function (requests) {
            return Promise.all(requests.map(function (request) {
              return fresh.match(request).then(function (have) {
                if (have) return null;
                return cache.match(request).then(function (r) { return r && fresh.put(request, r); });
              });
            }));
          });
        }).then(function () { return caches.delete(name); });
      }));
    });
  }).then(function () { return self.clients.claim(); }));
});

function cacheable(request) {
  if (request.method !== "GET") return false;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return false;
  if (url.pathname.indexOf("/static/") === 0) return true;
  return request.mode === "navigate" && url.pathname.indexOf("/examine/") === 0;
}

// A candidate's page not kept yet (the server redirected it to the declaration when the day
// was pre-loaded): its declaration page, which shows the scoring form once declared.
function fallback(request) {
  var url = new URL(request.url);
  var match = /^(\/examine\/\d+)\/?$/.exec(url.pathname);
  return caches.match(request, { ignoreVary: true, ignoreSearch: true }).then(function (cached) {
    if (cached || !match) return cached;
    return caches.match(new Request(url.origin + match[1] + "/declare"), { ignoreVary: true });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (!cacheable(request)) return;
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok && response.type === "basic" && !response.redirected) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return fallback(request).then(function (cached) { return cached || Response.error(); });
  }));
});
