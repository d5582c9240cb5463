/* The lab's code editor: CodeMirror 6 (vendor/codemirror/codemirror.js, bundled by build.py; global CodeMirror).
 *
 * Python highlighting, auto-indent after ":" and inside brackets, bracket matching and closing, undo history;
 * Tab / Shift+Tab indent and dedent (Escape, then Tab, moves focus on, as CodeMirror documents), Shift+Enter runs
 * the cell and moves on, Ctrl+Enter (Cmd+Enter) runs it in place. CodeMirror edits a contenteditable, so a phone's
 * own keyboard works. A classic script, so that it also runs from file://.
 */
(function () {
  "use strict";
  const CM = window.CodeMirror;

  /** An editor in `parent` holding `text`; calls onChange(text) after edits and onRun(moveOn) for the run keys. */
  function createEditor(parent, text, { label, language, onChange, onRun }) {
    const runKeys = CM.Prec.highest(CM.keymap.of([
      { key: "Shift-Enter", run: () => { onRun(true); return true; } },
      { key: "Mod-Enter", run: () => { onRun(false); return true; } },
    ]));
    const extensions = [
      runKeys,
      CM.history(),
      CM.drawSelection(),
      CM.indentUnit.of("    "),
      CM.EditorState.tabSize.of(4),
      CM.indentOnInput(),
      CM.bracketMatching(),
      CM.closeBrackets(),
      CM.syntaxHighlighting(CM.defaultHighlightStyle, { fallback: true }),
      CM.keymap.of([...CM.closeBracketsKeymap, ...CM.defaultKeymap, ...CM.historyKeymap, CM.indentWithTab]),
      CM.EditorView.lineWrapping,
      CM.EditorView.contentAttributes.of({ "aria-label": label, spellcheck: "false", autocapitalize: "off",
                                           autocorrect: "off" }),
      CM.EditorView.updateListener.of((update) => { if (update.docChanged) onChange(update.state.doc.toString()); }),
    ];
    if (language === "python") extensions.push(CM.python());
    const view = new CM.EditorView({ parent, state: CM.EditorState.create({ doc: text, extensions }) });
    return {
      view,
      get value() { return view.state.doc.toString(); },
      set value(next) { view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: next } }); },
      focus() { view.focus(); },
      destroy() { view.destroy(); },
    };
  }

  window.pydlEditor = { create: createEditor };
})();
