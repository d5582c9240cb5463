/* The playground's "Show the code" card: the pydl script and the PyTorch and Keras exports, one tab each.
 *
 * Python sends the three texts (and the exported model's input columns) as JSON through pgView.showCode; the
 * download button of the PyTorch and Keras tabs asks Python for that folder zipped (view.js sends the action
 * with the tab shown, tab()). Nothing here computes code: it shows what pydl wrote.
 */
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const message = (text, kind) => window.pgView.message(text, kind);
  let codes = null;
  let codeTab = "pydl";

  function showTab(tab) {
    codeTab = tab;
    document.querySelectorAll(".pg-tab").forEach((b) => b.setAttribute("aria-selected", String(b.dataset.tab === tab)));
    document.querySelectorAll("[data-for-tab]").forEach((p) => { p.hidden = p.dataset.forTab !== tab; });
    $("pg-export-zip").hidden = tab === "pydl";
    $("pg-code").textContent = codes ? codes[tab] : "";
    $("pg-code-card").dataset.tab = tab;
  }

  function show(json) {
    codes = JSON.parse(json);
    document.querySelectorAll(".pg-code-inputs").forEach((span) => { span.textContent = codes.inputs; });
    showTab(codeTab);
    $("pg-code-card").hidden = false;
    $("pg-code-card").scrollIntoView({ behavior: "smooth", block: "nearest" });
  }

  function copy() {
    const text = $("pg-code").textContent;
    const done = () => message("The code is on the clipboard.", "info");
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, () => selectCode());
    } else selectCode();
  }

  function selectCode() {
    const range = document.createRange();
    range.selectNodeContents($("pg-code"));
    const selection = getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    message("The code is selected: press Ctrl+C (⌘C) to copy it.", "info");
  }

  function bind() {
    document.querySelectorAll(".pg-tab").forEach((b) => b.addEventListener("click", () => showTab(b.dataset.tab)));
  }

  window.pgCode = { show, copy, bind, tab: () => codeTab };
})();
