/* scoring: a finger-drawn signature on a canvas (Pointer Events), exported as PNG.
   Licence: the project's own code. */
(function () {
  "use strict";

  window.SignaturePad = function (canvas) {
    var ctx = null, drawing = false, empty = true, last = null;

    function reset() {
      var ratio = Math.min(window.devicePixelRatio || 1, 2);
      var rect = canvas.getBoundingClientRect();
      canvas.width = Math.max(1, Math.round(rect.width * ratio));
      canvas.height = Math.max(1, Math.round(rect.height * ratio));
      ctx = canvas.getContext("2d");
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.lineWidth = 2.5;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = ctx.fillStyle = "#111";
      empty = true;
    }

    function at(event) {
      var rect = canvas.getBoundingClientRect();
      return { x: event.clientX - rect.left, y: event.clientY - rect.top };
    }

    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      drawing = true;
      last = at(event);
      ctx.beginPath();
      ctx.arc(last.x, last.y, 1.25, 0, 2 * Math.PI);
      ctx.fill();
      empty = false;
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      var point = at(event);
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(point.x, point.y);
      ctx.stroke();
      last = point;
    });
    ["pointerup", "pointercancel"].forEach(function (type) {
      canvas.addEventListener(type, function () { drawing = false; });
    });

    return {
      reset: reset,
      isEmpty: function () { return empty; },
      toDataURL: function () { return canvas.toDataURL("image/png"); },
      /* For keyboard users: the typed name, written on the pad in a script-like italic. */
      type: function (text) {
        reset();
        text = (text || "").trim();
        if (!text) return;
        var height = canvas.getBoundingClientRect().height;
        ctx.font = "italic " + Math.round(height * 0.4) + "px Georgia, serif";
        ctx.fillText(text, 16, height * 0.62, canvas.getBoundingClientRect().width - 32);
        empty = false;
      }
    };
  };
})();
