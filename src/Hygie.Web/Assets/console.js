// The console's one script: Ctrl+Enter (or Cmd+Enter) in the SQL editor submits its form. Everything works without it.
"use strict";
document.addEventListener("keydown", (event) => {
  const target = event.target;
  if (!(target instanceof HTMLTextAreaElement) || !target.hasAttribute("data-submit-on-ctrl-enter")) return;
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target.form) {
    event.preventDefault();
    target.form.requestSubmit();
  }
});
