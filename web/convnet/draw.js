/* The drawing pad of the convnet lab: mouse, pen or touch strokes on #draw-canvas.
 *
 * Drawing happens here, on the page's thread, so strokes stay smooth while Python trains in its worker.
 * When a stroke ends the canvas fires a "digit-drawn" event; the Python side (main.py) then reads the ink
 * with window.convnetDraw.ink(), one base64 string of alpha bytes, the cheapest thing to send to a worker.
 */
(function () {
  "use strict";

  function setup() {
    const canvas = document.getElementById("draw-canvas");
    if (!canvas) return;
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    let drawing = false;
    let last = null;

    function point(event) {
      const box = canvas.getBoundingClientRect();
      return [(event.clientX - box.left) * canvas.width / box.width,
              (event.clientY - box.top) * canvas.height / box.height];
    }

    function stroke(to) {
      ctx.strokeStyle = "#111827";
      ctx.fillStyle = "#111827";
      ctx.lineWidth = canvas.width / 12;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.beginPath();
      if (last) {
        ctx.moveTo(last[0], last[1]);
        ctx.lineTo(to[0], to[1]);
        ctx.stroke();
      } else {
        ctx.arc(to[0], to[1], ctx.lineWidth / 2, 0, 2 * Math.PI);
        ctx.fill();
      }
      last = to;
    }

    canvas.addEventListener("pointerdown", (event) => {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      drawing = true;
      last = null;
      stroke(point(event));
    });
    canvas.addEventListener("pointermove", (event) => {
      if (drawing) stroke(point(event));
    });
    function end() {
      if (!drawing) return;
      drawing = false;
      last = null;
      canvas.dataset.drawn = "true";
      canvas.dispatchEvent(new CustomEvent("digit-drawn"));
    }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);

    window.convnetDraw = {
      /** The canvas' ink as base64 alpha bytes, row by row: "<width>x<height>:<base64>". */
      ink() {
        const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
        const alpha = new Uint8Array(canvas.width * canvas.height);
        for (let i = 0; i < alpha.length; i++) alpha[i] = data[4 * i + 3];
        let text = "";
        for (let i = 0; i < alpha.length; i += 8192) text += String.fromCharCode.apply(null, alpha.subarray(i, i + 8192));
        return `${canvas.width}x${canvas.height}:` + btoa(text);
      },
      clear() {
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        delete canvas.dataset.drawn;
      },
    };
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
