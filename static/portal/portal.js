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

// <input data-filter-for="SELECT-ID">: typing narrows a long <select> (countries and regions) to the options
// whose text contains what was typed, in any language shown, and picks the first match when only one is left.
document.addEventListener("input", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.dataset.filterFor) return;
  const select = document.getElementById(box.dataset.filterFor);
  if (!(select instanceof HTMLSelectElement)) return;
  const wanted = box.value.trim().toLowerCase();
  const shown = [];
  for (const option of select.options) {
    const match = !option.value || !wanted || option.text.toLowerCase().includes(wanted);
    option.hidden = !match;
    if (match && option.value) shown.push(option);
  }
  if (shown.length === 1 && select.value !== shown[0].value) {
    select.value = shown[0].value;
    select.dispatchEvent(new Event("change", { bubbles: true }));
  }
});

// A background (htmx) request that fails must not fail silently: say so, in the page's language.
function requestFailed(offline) {
  const notice = document.getElementById("request-failed");
  if (!notice) return;
  if (offline && notice.dataset.offline) notice.textContent = notice.dataset.offline;
  notice.hidden = false;
}
document.addEventListener("htmx:responseError", () => requestFailed(false));
document.addEventListener("htmx:sendError", () => requestFailed(true));
