/* Batched DOM access for the backprop page's Python worker (see main.py).
 *
 * Each call from the worker is a round trip to this thread, so the page sends all the changes of one render
 * in a single call and reads all the fields it needs in another. Values cross as JSON strings.
 */
(function () {
  "use strict";

  /* [{id | sel, text, html, value, hidden, disabled, attrs: {}, data: {}}] */
  function apply(opsJson) {
    for (const op of JSON.parse(opsJson)) {
      const el = op.id ? document.getElementById(op.id) : document.querySelector(op.sel);
      if (!el) throw new Error(`no element ${op.id ? "#" + op.id : op.sel}`);
      if ("text" in op) el.textContent = op.text;
      if ("html" in op) el.innerHTML = op.html;
      if ("value" in op) el.value = op.value;
      if ("hidden" in op) el.hidden = op.hidden;
      if ("disabled" in op) el.disabled = op.disabled;
      for (const [k, v] of Object.entries(op.attrs || {})) el.setAttribute(k, v);
      for (const [k, v] of Object.entries(op.data || {})) el.dataset[k] = v;
    }
  }

  /* Every field matching the selector, by id: {id: value}. */
  function read(selector) {
    const out = {};
    document.querySelectorAll(selector).forEach((el) => { out[el.id] = el.value; });
    return JSON.stringify(out);
  }

  window.lessonDom = { apply, read };
})();
