/* The VAE cards' drawing and pointer input, on the page's thread.
 *
 * Python (vae_view.py, in the worker) computes every number with pydl and calls window.vaeView with JSON strings:
 * map (the test digits' codes, their classes and the plane's square), digit (one decoded image and its point),
 * grid (decoded tiles). A click or drag on the map becomes the latent point under the pointer; a click on the hidden
 * #vae-inbox asks Python to decode it. While Python decodes one point, later moves only replace the point waiting,
 * so a fast drag never queues up work. Nothing here computes what is shown: it draws numbers and forwards points.
 */
(function () {
  "use strict";

  // Ten classes, ten colours that stay apart on white (Tableau 10).
  const COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                   "#9c755f", "#7f7f7f"];
  const $ = (id) => document.getElementById(id);
  let plane = null;       // the last map payload: {means, labels, bounds}
  let waiting = null;     // the point to decode next, once Python has answered the last one
  let asked = false;      // a point was sent and not answered yet
  let dragging = false;

  function toCanvas(canvas, z1, z2) {
    const [low, high] = plane.bounds;
    return [(z1 - low) / (high - low) * canvas.width, (high - z2) / (high - low) * canvas.height];
  }

  function drawMap(payload) {
    plane = JSON.parse(payload);
    paintMap();
    $("vae-legend").innerHTML = COLOURS.map((c, d) =>
      `<span class="vae-key"><i style="background:${c}"></i>${d}</span>`).join("");
  }

  function paintMap() {
    const canvas = $("vae-map");
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    const [ox, oy] = toCanvas(canvas, 0, 0);
    ctx.strokeStyle = "#e5e7eb";
    ctx.beginPath();
    ctx.moveTo(0, oy); ctx.lineTo(canvas.width, oy); ctx.moveTo(ox, 0); ctx.lineTo(ox, canvas.height);
    ctx.stroke();
    plane.means.forEach(([z1, z2], i) => {
      const [x, y] = toCanvas(canvas, z1, z2);
      ctx.fillStyle = COLOURS[plane.labels[i]];
      ctx.beginPath();
      ctx.arc(x, y, 3, 0, 2 * Math.PI);
      ctx.fill();
    });
    if (plane.point) marker(ctx, canvas, plane.point);
    canvas.dataset.points = String(plane.means.length);
    canvas.dataset.low = String(plane.bounds[0]);
    canvas.dataset.high = String(plane.bounds[1]);
  }

  function marker(ctx, canvas, point) {
    const [x, y] = toCanvas(canvas, point[0], point[1]);
    ctx.strokeStyle = "#111827";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(x - 7, y); ctx.lineTo(x + 7, y); ctx.moveTo(x, y - 7); ctx.lineTo(x, y + 7);
    ctx.stroke();
    ctx.lineWidth = 1;
  }

  // Tiles of 8x8 ink values (one list of 64 per tile, n per row) as one small image, one pixel per ink value and
  // one white pixel between tiles, scaled up to the canvas without smoothing: one putImageData and one drawImage,
  // however many tiles (drawing each pixel as a rectangle held the page's thread for 100-400 ms under load).
  const scratch = document.createElement("canvas");
  function drawTiles(canvas, tiles, n) {
    const side = n * 9 - 1;
    scratch.width = side; scratch.height = side;
    const ctx = scratch.getContext("2d");
    const image = ctx.createImageData(side, side);
    image.data.fill(255);
    tiles.forEach((pixels, i) => {
      const x0 = (i % n) * 9, y0 = Math.floor(i / n) * 9;
      for (let k = 0; k < 64; k++) {
        const at = 4 * ((y0 + (k >> 3)) * side + x0 + (k & 7));
        const shade = Math.round(255 * (1 - pixels[k]));
        image.data[at] = image.data[at + 1] = image.data[at + 2] = shade;
      }
    });
    ctx.putImageData(image, 0, 0);
    const target = canvas.getContext("2d");
    target.imageSmoothingEnabled = false;
    target.fillStyle = "#fff";
    target.fillRect(0, 0, canvas.width, canvas.height);
    target.drawImage(scratch, 0, 0, canvas.width, canvas.height);
  }

  function drawDigit(payload) {
    const shown = JSON.parse(payload);
    const canvas = $("vae-digit");
    drawTiles(canvas, [shown.pixels], 1);
    canvas.dataset.z1 = String(shown.point[0]);
    canvas.dataset.z2 = String(shown.point[1]);
    canvas.dataset.pixels = JSON.stringify(shown.pixels);
    canvas.dataset.decodes = String(+(canvas.dataset.decodes || 0) + 1);
    $("vae-point").textContent = shown.caption;
    if (plane) {
      plane.point = shown.point;
      paintMap();
    }
    asked = false;
    if (waiting) send();
  }

  function drawGrid(payload) {
    const grid = JSON.parse(payload);
    const canvas = $("vae-grid");
    drawTiles(canvas, grid.tiles, grid.n);
    canvas.dataset.tiles = String(grid.tiles.length);
  }

  function send() {
    const inbox = $("vae-inbox");
    if (asked || !waiting || !inbox) return;
    $("vae-map").dataset.ask = JSON.stringify(waiting);
    waiting = null;
    asked = true;
    inbox.click();
  }

  function pick(event) {
    if (!plane) return;
    const canvas = $("vae-map");
    const box = canvas.getBoundingClientRect();
    const [low, high] = plane.bounds;
    const fx = Math.min(Math.max((event.clientX - box.left) / box.width, 0), 1);
    const fy = Math.min(Math.max((event.clientY - box.top) / box.height, 0), 1);
    waiting = [low + fx * (high - low), high - fy * (high - low)];
    send();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const canvas = $("vae-map");
    canvas.addEventListener("pointerdown", (event) => {
      dragging = true;
      canvas.setPointerCapture(event.pointerId);
      pick(event);
    });
    canvas.addEventListener("pointermove", (event) => { if (dragging) pick(event); });
    const end = () => { dragging = false; };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
  });

  // A decode that failed (Python said so in the card) must not block the next one.
  function answered() { asked = false; if (waiting) send(); }

  window.vaeView = { map: drawMap, digit: drawDigit, grid: drawGrid, answered };
})();
