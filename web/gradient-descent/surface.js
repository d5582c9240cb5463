/* The gradient-descent page's loss-surface canvas: a contour image with optimizer paths drawn over it.
 *
 * The page's Python (a PyScript worker, see main.py) computes every number with pydl and calls these
 * functions with JSON strings, the one type that crosses the worker boundary unchanged. Nothing here
 * computes anything a person reads as a result: it only draws what it is given. (Its charts are the shared
 * web/common/charts.js; its other DOM changes go through pydlPage.apply.)
 */
(function () {
  "use strict";
  const surfaces = new Map();

  function decodeRgba(base64, width, height) {
    const bytes = Uint8ClampedArray.from(atob(base64), (c) => c.charCodeAt(0));
    const image = new ImageData(bytes, width, height);
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    canvas.getContext("2d").putImageData(image, 0, 0);
    return canvas;
  }

  /* meta: {width, height, minima: [[fx, fy]], start: [fx, fy], racers: [{key, label, colour}], axes: {...}} */
  function setSurface(canvasId, base64, metaJson) {
    const meta = JSON.parse(metaJson);
    const canvas = document.getElementById(canvasId);
    let state = surfaces.get(canvasId);
    if (!state) {
      state = { paths: {} };
      surfaces.set(canvasId, state);
      canvas.addEventListener("click", (event) => {
        const box = canvas.getBoundingClientRect();
        state.pick = { x: (event.clientX - box.left) / box.width, y: (event.clientY - box.top) / box.height };
        canvas.dispatchEvent(new CustomEvent("surfacepick"));
      });
    }
    state.background = decodeRgba(base64, meta.width, meta.height);
    state.meta = meta;
    state.paths = {};
    draw(canvasId);
  }

  /* update: {reset: bool, start: [fx, fy], append: {key: [[fx, fy], ...]}, states: {key: "running"|...}} */
  function race(canvasId, updateJson) {
    const state = surfaces.get(canvasId);
    if (!state) return;
    const update = JSON.parse(updateJson);
    if (update.reset) state.paths = {};
    if (update.start) state.meta.start = update.start;
    if (update.states) state.states = update.states;
    for (const [key, points] of Object.entries(update.append || {})) {
      state.paths[key] = (state.paths[key] || []).concat(points);
    }
    draw(canvasId);
  }

  function star(ctx, x, y, r) {
    ctx.beginPath();
    for (let i = 0; i < 10; i++) {
      const angle = -Math.PI / 2 + (i * Math.PI) / 5;
      const radius = i % 2 ? r * 0.45 : r;
      ctx.lineTo(x + radius * Math.cos(angle), y + radius * Math.sin(angle));
    }
    ctx.closePath();
    ctx.fillStyle = "#facc15";
    ctx.strokeStyle = "#1f2937";
    ctx.lineWidth = 1.2;
    ctx.fill();
    ctx.stroke();
  }

  function draw(canvasId) {
    const state = surfaces.get(canvasId);
    const canvas = document.getElementById(canvasId);
    const ctx = canvas.getContext("2d");
    const W = canvas.width, H = canvas.height;
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(state.background, 0, 0, W, H);
    for (const [fx, fy] of state.meta.minima || []) star(ctx, fx * W, fy * H, 9);
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, 0, W, H);
    ctx.clip();
    for (const racer of state.meta.racers) {
      const path = state.paths[racer.key];
      if (!path || !path.length) continue;
      ctx.strokeStyle = racer.colour;
      ctx.lineWidth = 2;
      ctx.lineJoin = "round";
      ctx.beginPath();
      path.forEach(([fx, fy], i) => (i ? ctx.lineTo(fx * W, fy * H) : ctx.moveTo(fx * W, fy * H)));
      ctx.stroke();
      const [fx, fy] = path[path.length - 1];
      ctx.beginPath();
      ctx.arc(fx * W, fy * H, 5, 0, 2 * Math.PI);
      ctx.fillStyle = racer.colour;
      ctx.fill();
      ctx.strokeStyle = "#fff";
      ctx.lineWidth = 1.5;
      ctx.stroke();
    }
    ctx.restore();
    if (state.meta.start) {
      const [sx, sy] = state.meta.start;
      ctx.beginPath();
      ctx.arc(sx * W, sy * H, 6, 0, 2 * Math.PI);
      ctx.fillStyle = "#fff";
      ctx.fill();
      ctx.strokeStyle = "#111827";
      ctx.lineWidth = 2;
      ctx.stroke();
    }
    const axes = state.meta.axes;
    if (axes) {
      ctx.fillStyle = "rgba(17, 24, 39, 0.75)";
      ctx.font = "12px system-ui, sans-serif";
      ctx.textBaseline = "bottom";
      ctx.fillText(axes.bottomLeft, 4, H - 2);
      ctx.textAlign = "right";
      ctx.fillText(axes.bottomRight, W - 4, H - 2);
      ctx.textBaseline = "top";
      ctx.fillText(axes.topRight, W - 4, 2);
      ctx.textAlign = "left";
    }
  }

  /* Where the latest click on a surface canvas landed, as fractions of its width and height. */
  function lastPick(canvasId) {
    return JSON.stringify(surfaces.get(canvasId).pick || null);
  }

  window.lossSurface = { setSurface, race, lastPick };
})();
