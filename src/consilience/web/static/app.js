// Light enhancements only: the pages work without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  // entity chips: show only the facts that name the chosen entity
  document.querySelectorAll(".chip").forEach((chip) => {
    chip.addEventListener("click", () => {
      const entity = chip.dataset.entity;
      document.querySelectorAll(".chip").forEach((c) => c.classList.toggle("active", c === chip));
      document.querySelectorAll(".fact-row").forEach((row) => {
        const names = (row.dataset.entities || "").split(/\s+/);
        row.classList.toggle("hidden-by-filter", Boolean(entity) && !names.includes(entity));
      });
    });
  });
  // conflicts: highlight every source's sentence side by side
  document.querySelectorAll(".conflict-toggle").forEach((button) => {
    button.addEventListener("click", () => {
      const on = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(on));
      document.querySelectorAll(`.sentence[data-fact="${CSS.escape(button.dataset.fact)}"]`)
        .forEach((s) => s.classList.toggle("highlighted", on));
    });
  });
  // corrections: a merge asks first; a sent form cannot be sent twice while the server moves the articles
  document.querySelectorAll('form[action="/move"], form[action="/merge"]').forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
        event.preventDefault();
        return;
      }
      // disabled after the browser has read the clicked button's name and value
      setTimeout(() => form.querySelectorAll("button").forEach((b) => { b.disabled = true; }), 0);
    });
  });
  // compare form: one more text box
  const add = document.getElementById("add-text");
  if (add) {
    add.addEventListener("click", () => {
      const box = document.getElementById("texts");
      const n = box.querySelectorAll("textarea").length + 1;
      const label = document.createElement("label");
      label.htmlFor = `text-${n}`;
      label.textContent = `Article ${n}`;
      const area = document.createElement("textarea");
      area.id = `text-${n}`;
      area.name = "text";
      area.rows = 8;
      box.append(label, area);
      area.focus();
    });
  }
});
