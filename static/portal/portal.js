// Behaviour that would otherwise be inline event handlers, which the Content-Security-Policy refuses.

// <select data-submit-on-change>: choosing an option sends its form (e.g. the workbench's department filter).
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && field.hasAttribute("data-submit-on-change") && field.form) {
    field.form.submit();
  }
});

// A field's red border and aria-invalid follow its error box as autosave swaps new messages in (out of band),
// not only after a reload.
function markField(box) {
  const field = box.parentElement;
  if (!field || !field.classList.contains("field")) return;
  const bad = box.textContent.trim() !== "";
  field.classList.toggle("has-error", bad);
  field.querySelectorAll("input:not([type=radio]):not([type=checkbox]):not([type=hidden]), select, textarea")
    .forEach((input) => (bad ? input.setAttribute("aria-invalid", "true") : input.removeAttribute("aria-invalid")));
}
document.addEventListener("htmx:oobAfterSwap", (event) => {
  const box = event.target; // the swapped-in element (detail.target is the one it replaced)
  if (box instanceof HTMLElement && box.classList.contains("field-errors")) markField(box);
});

// <span class="counter" data-for="ID" data-max="N">: "n / N" under a limited input, marked once over the limit
// (the limit is not enforced by maxlength, which would cut pasted text without a word).
function updateCounter(counter) {
  const input = document.getElementById(counter.dataset.for);
  if (!input) return;
  const max = Number(counter.dataset.max);
  const n = [...input.value].length;
  counter.firstElementChild.textContent = String(n);
  counter.classList.toggle("over", n > max);
}
document.addEventListener("input", (event) => {
  const target = event.target;
  if (target instanceof HTMLElement && target.id) {
    document.querySelectorAll(`.counter[data-for="${target.id}"]`).forEach(updateCounter);
  }
});
