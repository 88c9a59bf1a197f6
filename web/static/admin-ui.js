// The console's shared page parts: the live regions, errors at their field, inline
// confirmations and editable rows. Nothing here knows about one kind of record.

import { el } from "./render.js";

export const $ = (id) => document.getElementById(id);

// Clearing first makes screen readers announce a repeated message again.
export function announce(text) {
  const node = $("admin-status");
  node.textContent = "";
  window.setTimeout(() => { node.textContent = text; }, 30);
}

/** A problem that is not one field's: a stale edit offers to reload (`reload()`). */
export function showProblem(error, reload) {
  const box = $("admin-error");
  $("admin-error-text").textContent = error.message;
  const button = $("admin-reload");
  button.hidden = !reload;
  button.onclick = reload ? () => { clearProblem(); reload(); } : null;
  box.hidden = false;
  box.focus();
}

export function clearProblem() {
  $("admin-error").hidden = true;
  $("admin-error-text").textContent = "";
}

let errorIds = 0;

export function clearFieldErrors(form) {
  for (const node of form.querySelectorAll("[aria-invalid]")) {
    node.removeAttribute("aria-invalid");
    const ids = (node.getAttribute("aria-describedby") || "").split(" ")
      .filter((id) => id && !id.startsWith("field-error-"));
    if (ids.length) node.setAttribute("aria-describedby", ids.join(" "));
    else node.removeAttribute("aria-describedby");
  }
  for (const node of form.querySelectorAll(".field-error")) node.remove();
  const formError = form.querySelector(".form-error");
  if (formError) { formError.hidden = true; formError.textContent = ""; }
}

// "weekly[1]" → "weekly" → no match; "phases[0].name" → "phases[0]" → "phases".
function fieldNode(form, field) {
  let name = field;
  while (name) {
    const node = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (node) return node;
    const shorter = name.replace(/(\[\d+\]|\.[^.[\]]+)$/, "");
    if (shorter === name) break;
    name = shorter;
  }
  return null;
}

function focusable(node) {
  return node.matches("input, select, textarea") ? node : node.querySelector("input, select, textarea, button");
}

/** Show an API error at the field it names (aria-invalid + aria-describedby) and
 *  move focus there; an error naming no field shows above the form's buttons. */
export function showFormError(form, error) {
  clearFieldErrors(form);
  const node = error.field ? fieldNode(form, error.field) : null;
  if (!node) {
    const formError = form.querySelector(".form-error");
    formError.textContent = error.message;
    formError.hidden = false;
    formError.setAttribute("tabindex", "-1");
    formError.focus();
    return;
  }
  const id = `field-error-${++errorIds}`;
  const message = el("p", { className: "field-error", id, text: readable(error) });
  if (node.matches("fieldset")) node.querySelector("legend").after(message);
  else node.after(message);
  const control = focusable(node) || node;
  control.setAttribute("aria-invalid", "true");
  const described = control.getAttribute("aria-describedby");
  control.setAttribute("aria-describedby", described ? `${id} ${described}` : id);
  control.focus();
}

// The API says "weekly[1] must look like ..."; at the field the name is redundant.
function readable(error) {
  const text = error.message || "";
  const rest = error.field && text.startsWith(`${error.field} `) ? text.slice(error.field.length + 1) : text;
  return rest ? rest.charAt(0).toUpperCase() + rest.slice(1) + (/[.!?]$/.test(rest) ? "" : ".") : "Please check this.";
}

/** Replace `actions` (a container) by "text [confirm] [keep]" until one is chosen. */
export function confirmInline(actions, text, confirmLabel, onConfirm) {
  const saved = [...actions.childNodes];
  const restore = (focus) => {
    actions.replaceChildren(...saved);
    if (focus) saved[saved.length - 1]?.focus?.();
  };
  // On a refusal focus stays on the alert that says why.
  const yes = el("button", { type: "button", className: "button-danger", text: confirmLabel,
    on: { click: async () => { yes.disabled = true; if (!(await onConfirm())) restore(false); } } });
  const no = el("button", { type: "button", className: "button-quiet", text: "Keep it",
    on: { click: () => restore(true) } });
  actions.replaceChildren(el("span", { className: "confirm-text", text }), yes, no);
  yes.focus();
}

let rowIds = 0;

/** A labelled input for a row; `field` names it for showFormError. */
export function rowInput(label, props = {}) {
  const id = `row-input-${++rowIds}`;
  const tag = props.tag || "input";
  const input = el(tag, { id, type: tag === "input" ? (props.type || "text") : undefined,
    dataset: props.field ? { field: props.field } : undefined,
    className: props.className });
  if (props.type === "checkbox") input.checked = Boolean(props.value);
  else if (props.value !== undefined && props.value !== null) input.value = String(props.value);
  const wrap = el("span", { className: props.type === "checkbox" ? "row-field check" : "row-field" });
  const labelNode = el("label", { for: id, text: label });
  if (props.type === "checkbox") wrap.append(input, labelNode);
  else wrap.append(labelNode, input);
  return { wrap, input };
}

/** A "Remove" button for a row; focus goes to the row now in its place (or the
 *  section's first button when none is left). `after(list)` may rebuild the rows. */
export function removeButton(row, label, after) {
  return el("button", { type: "button", className: "button-quiet", text: "Remove",
    "aria-label": label, on: { click: () => {
      const list = row.parentElement;
      const index = [...list.children].indexOf(row);
      row.remove();
      if (after) after(list);
      const next = list.children[Math.min(index, list.children.length - 1)];
      (next?.querySelector("input") || list.parentElement?.querySelector("button"))?.focus();
    } } });
}

export function sourceNote(record) {
  return record.source === "config"
    ? el("span", { className: "badge", text: "From the config file (read-only)" })
    : null;
}
