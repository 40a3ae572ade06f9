/* scoring: practice mode of the scoring page (calibration, shadow). Licence: the project's own code.

   The page is the examiner's scoring component (examine.js) unchanged; this script runs
   first and points it at the practice endpoints: its draft and submit URLs, and a storage
   key of its own so a practice case never shares the tablet's copy of a real sheet. When
   the component shows its receipt, the practice goes on to its feedback page. */
(function () {
  "use strict";

  var dataEl = document.getElementById("sheet-data");
  var practiceEl = document.getElementById("practice-data");
  if (!dataEl || !practiceEl) return;
  var practice = JSON.parse(practiceEl.textContent);
  var data = JSON.parse(dataEl.textContent);
  data.assignment = practice.key;
  data.urls.draft = practice.urls.draft;
  data.urls.submit = practice.urls.submit;
  dataEl.textContent = JSON.stringify(data);

  var receipt = document.getElementById("receipt");
  if (receipt && practice.urls.feedback) {
    new MutationObserver(function () {
      if (!receipt.hidden) window.location.assign(practice.urls.feedback);
    }).observe(receipt, { attributes: true, attributeFilter: ["hidden"] });
  }
})();
