/* Line charts for pydl pages, drawn by uPlot (vendored by build.py).
 *
 * Python in the worker calls these through `pyscript.window.pydlPage.charts` with JSON strings, because
 * plain strings cross the worker boundary unchanged (see web/common/pydl_page.py: LineChart).
 */
(function () {
  "use strict";
  const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c"];
  const charts = new Map();
  let nextId = 1;

  function create(containerId, optionsJson) {
    const options = JSON.parse(optionsJson);
    const container = document.getElementById(containerId);
    if (!container) throw new Error(`no element #${containerId} for a chart`);
    container.textContent = "";
    // An empty .chart is display:none (no width yet), so size by its parent.
    const width = Math.max(280, Math.min((container.parentElement || container).clientWidth - 8, 720));
    const plot = new uPlot({
      title: options.title || "",
      width,
      height: options.height || 220,
      scales: { x: { time: false } },
      axes: [{ label: options.xLabel || "" }, { label: options.yLabel || "" }],
      series: [{ label: options.xLabel || "x" }].concat(options.series.map((label, i) => ({
        label, stroke: COLORS[i % COLORS.length], width: 2, points: { show: true, size: 5 },
      }))),
    }, [[]].concat(options.series.map(() => [])), container);
    const id = "chart-" + nextId++;
    charts.set(id, { plot, series: options.series });
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
