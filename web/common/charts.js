/* Line charts for pydl pages, drawn by uPlot (vendored by build.py).
 *
 * Python in the worker calls these through `pyscript.window.pydlPage.charts` with JSON strings, because
 * plain strings cross the worker boundary unchanged (see web/common/pydl_page.py: LineChart).
 *
 * create(containerId, optionsJson) -> chart id; options (all but series optional):
 *   {series, title, xLabel, yLabel, height, yAxisWidth, liveLegend (default true), zoom (drag to zoom, default true)}
 *   series: a name each (a line with points, in the next default colour) or a style
 *   {label, color, width, dash: [on, off], points: size | false, line: false (points only)}.
 * setData(id, dataJson): {x: [...], <series label>: [...]} replaces the points (null leaves a gap).
 */
(function () {
  "use strict";
  const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c"];
  const charts = new Map();
  let nextId = 1;

  /* Short tick labels: 1.7e12 rather than a number wider than the axis, 0.0002 rather than uPlot's rounded 0. */
  function tickLabels(u, values) {
    return values.map((v) => (v == null ? "" : Math.abs(v) >= 1e5 ? v.toExponential(1).replace("e+", "e") : +v.toPrecision(6) + ""));
  }

  /* The width the chart may take: its container's content width, or (an empty .chart is display:none, so
   * it has none yet) its parent's; never the parent's when the container has its own, which in a grid is one cell. */
  function availableWidth(container) {
    const box = container.clientWidth ? container : container.parentElement || container;
    const style = getComputedStyle(box);
    const inner = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return Math.max(280, Math.min(Math.floor(inner), 720));
  }

  function seriesOptions(spec, i) {
    const s = typeof spec === "string" ? { label: spec } : spec;
    const color = s.color || COLORS[i % COLORS.length];
    let points = { show: true, size: 5 };
    if (s.points === false) points = { show: false };
    else if (s.points) points = { show: true, size: s.points, fill: color, stroke: color };
    const series = { label: s.label, stroke: color, width: s.line === false ? 0 : s.width || 2, points };
    if (s.dash) series.dash = s.dash;
    if (s.line === false) series.paths = () => null;
    return series;
  }

  function create(containerId, optionsJson) {
    const options = JSON.parse(optionsJson);
    const container = document.getElementById(containerId);
    if (!container) throw new Error(`no element #${containerId} for a chart`);
    const previous = charts.get(container.dataset.chart);
    if (previous) {
      previous.plot.destroy();
      charts.delete(container.dataset.chart);
    }
    container.textContent = "";
    const labels = options.series.map((s) => (typeof s === "string" ? s : s.label));
    const yAxis = { label: options.yLabel || "", values: tickLabels };
    if (options.yAxisWidth) yAxis.size = options.yAxisWidth;
    const config = {
      title: options.title || "",
      width: availableWidth(container),
      height: options.height || 220,
      scales: { x: { time: false } },
      legend: { live: options.liveLegend !== false },
      axes: [{ label: options.xLabel || "", values: tickLabels }, yAxis],
      series: [{ label: options.xLabel || "x" }].concat(options.series.map(seriesOptions)),
    };
    if (options.zoom === false) config.cursor = { drag: { x: false, y: false } };
    const plot = new uPlot(config, [[]].concat(labels.map(() => [])), container);
    const id = "chart-" + nextId++;
    charts.set(id, { plot, series: labels });
    container.dataset.chart = id;
    return id;
  }

  function setData(id, dataJson) {
    const chart = charts.get(id);
    if (!chart) throw new Error(`unknown chart ${id}`);
    const data = JSON.parse(dataJson);
    chart.plot.setData([data.x].concat(chart.series.map((name) => data[name] || [])));
    chart.plot.root.parentElement.dataset.points = String(data.x.length);
  }

  window.pydlPage.charts = { create, setData };
})();
