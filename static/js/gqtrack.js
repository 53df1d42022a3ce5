// Behaviour every page shares. Nothing runs inline: the Content-Security-Policy allows
// only the app's own script files, so elements ask for behaviour by data attributes.
// Listening on the document also serves elements that htmx swaps in later.

// A select that takes effect as soon as one picks (the language switch at the foot).
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-gq-submit-on-change]");
  if (select && select.form) select.form.submit();
});

// A text box that grows with its text (data-gq-grow), for browsers without CSS
// `field-sizing: content`; the stylesheet caps its height.
function gqGrow(area) {
  area.style.height = "auto";
  area.style.height = `${area.scrollHeight + 2}px`;
}
if (!CSS.supports("field-sizing", "content")) {
  document.addEventListener("input", (event) => {
    if (event.target.matches("textarea[data-gq-grow]")) gqGrow(event.target);
  });
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("textarea[data-gq-grow]").forEach(gqGrow);
  });
}

// A button with data-copy="#field" copies that field's text (the calendar's address).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.querySelector(button.dataset.copy);
  if (!field) return;
  field.select();
  if (navigator.clipboard) navigator.clipboard.writeText(field.value);
});

// A print button (data-gq-print), as on the urging notice.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-gq-print]")) window.print();
});

// A checkbox that ticks or clears every box of its form named by data-gq-select-all, and
// a form's submit buttons (data-gq-needs-choice) usable only once something is ticked.
function gqChoiceButtons(form) {
  const ticked = form.querySelector("input[type=checkbox][data-gq-choice]:checked") !== null;
  form.querySelectorAll("[data-gq-needs-choice]").forEach((button) => { button.disabled = !ticked; });
}
document.addEventListener("change", (event) => {
  const all = event.target.closest("input[data-gq-select-all]");
  const form = event.target.form;
  if (!form) return;
  if (all) {
    form.querySelectorAll(`input[type=checkbox][name="${all.dataset.gqSelectAll}"]`).forEach((box) => {
      box.checked = all.checked;
    });
  }
  if (all || event.target.matches("input[data-gq-choice]")) gqChoiceButtons(form);
});
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-gq-choices]").forEach(gqChoiceButtons);
});
