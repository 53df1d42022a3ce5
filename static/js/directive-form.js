// Adds requirement rows to the directive form from Django's empty formset form.
document.addEventListener("DOMContentLoaded", () => {
  const button = document.querySelector("[data-add-requirement]");
  const template = document.getElementById("requirement-template");
  const total = document.getElementById("id_requirements-TOTAL_FORMS");
  if (!button || !template || !total) return;
  button.addEventListener("click", () => {
    const index = Number(total.value);
    const html = template.innerHTML.replaceAll("__prefix__", String(index));
    document.getElementById("requirement-forms").insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
  });
});
