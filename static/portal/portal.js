// Behaviour that would otherwise be inline event handlers, which the Content-Security-Policy refuses.

// <select data-submit-on-change>: choosing an option sends its form (e.g. the workbench's department filter).
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && field.hasAttribute("data-submit-on-change") && field.form) {
    field.form.submit();
  }
});
