() => {
  window.longTasks = [];
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.longTasks.push(e.duration); })
    .observe({ type: "longtask" });
  window.pauseTimes = {};
  document.getElementById("pause").addEventListener("pointerdown", () => { window.pauseTimes.clicked = performance.now(); },
                                                    { capture: true });
  new MutationObserver(() => {
    if (document.getElementById("train-card").dataset.state === "paused" && !window.pauseTimes.paused)
      window.pauseTimes.paused = performance.now();
  }).observe(document.getElementById("train-card"), { attributes: true });
}
