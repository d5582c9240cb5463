/* The GAN card's plane, drawn on the page's thread: D's heat map, real and generated points, G's manifold (the
 * noise square's grid as G deforms it) and the gradient arrows, plus the learner's own points.
 *
 * Python (gan_view.py, in the worker) computes every number and calls window.ganPlane with JSON strings:
 * draw(canvasId, frameJson) paints a frame (pydl.lessons.generative.gan_views.frame), preview(pointsJson) shows a
 * target before training. Points drawn with a click or a touch while the target is "your points" stay here until
 * Python asks for them with drawnJson(). Nothing here decides anything: it draws numbers and collects points.
 */
(function () {
  "use strict";

  const VIEW = 2;  // the plane is [-2, 2] x [-2, 2], as pydl.lessons.generative.targets.VIEW
  const MAX_DRAWN = 400;
  const COLORS = { real: "#15803d", fake: "#7c3aed", arrow: "#db2777", manifold: "rgba(55, 65, 81, .55)", moved: "#f59e0b" };
  const drawn = [];
  const frames = {};  // canvas id -> the last frame drawn there, redrawn when a layer is switched on or off
  let preview = null;

  const $ = (id) => document.getElementById(id);
  const shown = (layer) => { const box = $(`gan-show-${layer}`); return !box || box.checked; };

  function toPixel(canvas, x, y) {
    return [(x + VIEW) / (2 * VIEW) * canvas.width, (VIEW - y) / (2 * VIEW) * canvas.height];
  }

  function surfaceColor(p) {
    // green where D says "real", purple where it says "generated", white where it cannot tell (p = 0.5)
    const strength = Math.min(1, Math.abs(p - 0.5) * 2) * 0.55;
    return p >= 0.5 ? `rgba(34, 197, 94, ${strength.toFixed(3)})` : `rgba(139, 92, 246, ${strength.toFixed(3)})`;
  }

  function drawSurface(ctx, canvas, surface) {
    const n = surface.length;
    const cell = canvas.width / n;
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        ctx.fillStyle = surfaceColor(surface[r][c]);
        ctx.fillRect(Math.floor(c * cell), Math.floor(r * cell), Math.ceil(cell), Math.ceil(cell));
      }
    }
  }

  function drawPoints(ctx, canvas, points, color, radius) {
    ctx.fillStyle = color;
    for (const [x, y] of points) {
      const [px, py] = toPixel(canvas, x, y);
      ctx.beginPath();
      ctx.arc(px, py, radius, 0, 2 * Math.PI);
      ctx.fill();
    }
  }

  function drawManifold(ctx, canvas, lines) {
    ctx.strokeStyle = COLORS.manifold;
    ctx.lineWidth = 1;
    for (const line of lines) {
      ctx.beginPath();
      line.forEach(([x, y], i) => { const [px, py] = toPixel(canvas, x, y); if (i) ctx.lineTo(px, py); else ctx.moveTo(px, py); });
      ctx.stroke();
    }
  }

  function drawArrows(ctx, canvas, arrows) {
    // lengths relative to the longest arrow of this frame (0.35 of the plane's half width): the directions and
    // the ratios are the gradient's, the scale is only for the eye
    const longest = Math.max(1e-12, ...arrows.map(([, , dx, dy]) => Math.hypot(dx, dy)));
    const scale = 0.35 / longest;
    ctx.strokeStyle = COLORS.arrow;
    ctx.lineWidth = 1.5;
    for (const [x, y, dx, dy] of arrows) {
      const [x0, y0] = toPixel(canvas, x, y);
      const [x1, y1] = toPixel(canvas, x + dx * scale, y + dy * scale);
      const angle = Math.atan2(y1 - y0, x1 - x0);
      ctx.beginPath();
      ctx.moveTo(x0, y0);
      ctx.lineTo(x1, y1);
      ctx.lineTo(x1 - 5 * Math.cos(angle - 0.5), y1 - 5 * Math.sin(angle - 0.5));
      ctx.moveTo(x1, y1);
      ctx.lineTo(x1 - 5 * Math.cos(angle + 0.5), y1 - 5 * Math.sin(angle + 0.5));
      ctx.stroke();
    }
  }

  function drawMoves(ctx, canvas, before, after) {
    ctx.strokeStyle = COLORS.moved;
    ctx.lineWidth = 1.5;
    before.forEach(([x, y], i) => {
      const [x0, y0] = toPixel(canvas, x, y);
      const [x1, y1] = toPixel(canvas, after[i][0], after[i][1]);
      ctx.beginPath();
      ctx.moveTo(x0, y0);
      ctx.lineTo(x1, y1);
      ctx.stroke();
    });
  }

  function drawingDrawn() {
    const target = $("gan-target");
    return target && target.value === "drawn";
  }

  function render(canvasId) {
    const canvas = $(canvasId);
    if (!canvas) return;
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const frame = frames[canvasId];
    const main = canvasId === "gan-plane";
    if (frame) {
      if (frame.surface && shown("surface")) drawSurface(ctx, canvas, frame.surface);
      if (frame.manifold && shown("manifold")) drawManifold(ctx, canvas, frame.manifold);
      if (frame.reals && shown("real")) drawPoints(ctx, canvas, frame.reals, COLORS.real, 2.2);
      if (frame.fakes && shown("fake")) drawPoints(ctx, canvas, frame.fakes, COLORS.fake, 2.2);
      if (frame.moved_from) drawMoves(ctx, canvas, frame.moved_from, frame.fakes);
      if (frame.arrows && shown("arrows")) drawArrows(ctx, canvas, frame.arrows);
    } else if (main && preview && !drawingDrawn()) {
      drawPoints(ctx, canvas, preview, COLORS.real, 2.2);
    }
    if (main && drawingDrawn() && !frame) drawPoints(ctx, canvas, drawn, COLORS.real, 4);
    if (main) canvas.dataset.drawn = String(drawn.length);
  }

  function draw(canvasId, frameJson) {
    const frame = JSON.parse(frameJson);
    frames[canvasId] = frame;
    render(canvasId);
    const canvas = $(canvasId);
    if (canvas) canvas.dataset.step = String(frame.step);
  }

  function showPreview(pointsJson) {
    preview = JSON.parse(pointsJson);
    delete frames["gan-plane"];  // a new target: the old run's frame no longer belongs on the plane
    render("gan-plane");
  }

  function addPoint(event) {
    if (!drawingDrawn() || frames["gan-plane"]) return;
    const canvas = event.currentTarget;
    const box = canvas.getBoundingClientRect();
    const x = ((event.clientX - box.left) / box.width) * 2 * VIEW - VIEW;
    const y = VIEW - ((event.clientY - box.top) / box.height) * 2 * VIEW;
    if (drawn.length >= MAX_DRAWN || Math.abs(x) > VIEW || Math.abs(y) > VIEW) return;
    drawn.push([+x.toFixed(3), +y.toFixed(3)]);
    event.preventDefault();  // a touch adds a point instead of scrolling or zooming
    render("gan-plane");
  }

  function clearDrawn() {
    drawn.length = 0;
    delete frames["gan-plane"];
    render("gan-plane");
  }

  document.addEventListener("DOMContentLoaded", () => {
    const plane = $("gan-plane");
    if (plane) plane.addEventListener("pointerdown", addPoint);
    const clear = $("gan-clear-drawn");
    if (clear) clear.addEventListener("click", clearDrawn);
    document.querySelectorAll("[id^=gan-show-]").forEach((box) => box.addEventListener("change", () => {
      for (const id of Object.keys(frames)) render(id);
    }));
    const target = $("gan-target");
    if (target) target.addEventListener("change", () => { delete frames["gan-plane"]; render("gan-plane"); });
  });

  window.ganPlane = {
    draw,
    preview: showPreview,
    drawnJson: () => JSON.stringify(drawn),
    clearDrawn,
  };
})();
