/* Pause/Stop buttons of a page that trains, on the page's own thread.
 *
 * A click on a <button data-control="pause|stop"> writes the request into the data-control of the closest element
 * with a data-controls attribute ("pause" and "run" alternate; "stop" stays). The page's Python reads that attribute
 * between two slices of training (or, in the lab, between two batches of a cell's synchronous fit()) and shows that
 * it took effect by changing its status. So the click never queues behind the Python that is busy training: in a
 * worker, that Python takes no event until it yields, and a cell's fit() never yields at all.
 */
(function () {
  "use strict";
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-control]");
    const box = button && button.closest("[data-controls]");
    if (!box || button.disabled) return;
    if (button.dataset.control === "pause") box.dataset.control = box.dataset.control === "pause" ? "run" : "pause";
    else box.dataset.control = button.dataset.control;
  });
})();
