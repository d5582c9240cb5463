(options) => {
  // Records every long task (> 50 ms on the page's thread) and, on the page's own clock, the moment a Pause button
  // is pressed and the moment the page says it paused. Defaults: the convnet page (#pause, #train-card
  // data-state="paused"); the other training pages pass their own, e.g.
  // {button: "#pg-play", target: "#pg", attribute: "playing", value: "false"}. Evaluating it again starts afresh.
  const o = Object.assign({ button: "#pause", target: "#train-card", attribute: "state", value: "paused" },
                          options || {});
  for (const old of window.pauseProbeObservers || []) old.disconnect();
  if (window.pauseProbeListener) window.pauseProbeListener.remove();
  window.longTasks = [];
  window.pauseTimes = {};
  const tasks = new PerformanceObserver((list) => { for (const e of list.getEntries()) window.longTasks.push(e.duration); });
  tasks.observe({ type: "longtask" });
  const button = document.querySelector(o.button);
  const target = document.querySelector(o.target);
  const clicked = () => { if (!window.pauseTimes.clicked) window.pauseTimes.clicked = performance.now(); };
  button.addEventListener("pointerdown", clicked, { capture: true });
  window.pauseProbeListener = { remove: () => button.removeEventListener("pointerdown", clicked, { capture: true }) };
  const status = new MutationObserver(() => {
    if (window.pauseTimes.clicked && target.dataset[o.attribute] === o.value && !window.pauseTimes.paused)
      window.pauseTimes.paused = performance.now();
  });
  status.observe(target, { attributes: true });
  window.pauseProbeObservers = [tasks, status];
}
