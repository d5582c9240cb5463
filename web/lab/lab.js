/* The lab's Pause and Stop buttons, on the page's thread.
 *
 * A cell's fit() runs synchronously in the Python worker, which takes no click until the cell ends. So a click on
 * a cell's Pause/Stop is written here into the cell's data-control ("pause", "run" or "stop"), and the lab's
 * training callback (main.py, cell_control) reads it between batches and confirms with the cell's data-state.
 */
(function () {
  "use strict";
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-control]");
    const cell = button && button.closest(".lab-cell");
    if (!cell || button.disabled) return;
    if (button.dataset.control === "stop") cell.dataset.control = "stop";
    else cell.dataset.control = cell.dataset.control === "pause" ? "run" : "pause";
  });
})();
