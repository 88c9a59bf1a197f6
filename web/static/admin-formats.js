// Formats: the phases of a meeting and the share length. The built-in "default" and
// formats from the config file are shown read-only.

import { api } from "./admin-api.js";
import {
  $, announce, clearFieldErrors, clearProblem, confirmInline, removeButton, rowInput,
  showFormError, showProblem, sourceNote,
} from "./admin-ui.js";
import { el } from "./render.js";

/** ctx: {changed()} */
export function createFormats(ctx) {
  const form = $("format-form");
  let editing = null;
  let opener = null;
  let known = [];

  function describe(fmt) {
    const phases = fmt.phases.map((p) => `${p.name}${p.chat ? "" : " (no chat)"}`).join(" → ");
    return `${phases}; ${fmt.share_minutes} min shares`;
  }

  function item(fmt) {
    const actions = el("span", { className: "actions" });
    if (fmt.source === "config") actions.append(sourceNote(fmt));
    else {
      actions.append(
        el("button", { type: "button", className: "button-quiet", text: "Edit",
          "aria-label": `Edit format ${fmt.name}`, on: { click: (e) => open(fmt, e.currentTarget) } }),
        el("button", { type: "button", className: "button-danger", text: "Delete",
          "aria-label": `Delete format ${fmt.name}`,
          on: { click: () => confirmInline(actions,
            `Delete format “${fmt.name}”? Rooms that use it must change to another first.`,
            `Delete format ${fmt.name} for good`, () => remove(fmt)) } }),
      );
    }
    return el("li", { className: "admin-item", dataset: { format: fmt.name } },
      el("span", { className: "admin-item-main admin-item-title", text: fmt.name }),
      el("span", { className: "admin-item-detail", text: describe(fmt) }), actions);
  }

  async function load() {
    const list = $("format-list");
    const answer = await api("GET", "/api/admin/formats");
    list.removeAttribute("aria-busy");
    if (!answer.ok) { showProblem(answer.error); return; }
    known = answer.data;
    list.replaceChildren(...answer.data.map(item));
  }

  // Refused while a room uses it (409 `in_use`, naming the rooms): said in the alert.
  async function remove(fmt) {
    const answer = await api("DELETE", `/api/admin/formats/${encodeURIComponent(fmt.name)}`);
    if (!answer.ok) { showProblem(answer.error); return false; }
    announce(`Format ${fmt.name} was deleted.`);
    await load();
    $("formats-heading").focus();
    ctx.changed();
    return true;
  }

  function addPhase(phase = { name: "", chat: true }) {
    const list = $("format-phases");
    const i = list.children.length;
    const row = el("li", { className: "row" });
    const name = rowInput(`Phase ${i + 1} name`, { value: phase.name, field: `phases[${i}]` });
    const chat = rowInput(`Members may chat in phase ${i + 1}`, { type: "checkbox", value: phase.chat });
    const pin = rowInput(`Pinned text for phase ${i + 1}`, { value: phase.pin || "", field: `phases[${i}].pin` });
    name.input.classList.add("phase-name");
    chat.input.classList.add("phase-chat");
    pin.input.classList.add("phase-pin");
    row.append(name.wrap, chat.wrap, pin.wrap, removeButton(row, `Remove phase ${i + 1}`, renumber));
    list.append(row);
    return name.input;
  }

  // A new format starts as a copy of the built-in one; `fresh` marks it unsaved.
  function currentPhases() {
    return [...$("format-phases").children].map((row) => {
      const pin = row.querySelector(".phase-pin").value.trim();
      return { name: row.querySelector(".phase-name").value.trim(),
        chat: row.querySelector(".phase-chat").checked, ...(pin ? { pin } : {}) };
    });
  }

  // Labels and field names follow the rows' order, so "phases[1]" is row 2.
  function renumber() {
    const phases = currentPhases();
    $("format-phases").replaceChildren();
    for (const phase of phases) addPhase(phase);
  }

  function open(fmt, button, fresh = false) {
    clearProblem();
    clearFieldErrors(form);
    editing = { ...fmt, fresh };
    opener = button;
    $("format-form-heading").textContent = fresh ? "New format" : `Edit format ${fmt.name}`;
    $("format-name-field").hidden = !fresh;
    $("format-name").value = fresh ? "" : fmt.name;
    $("format-share").value = fmt.share_minutes;
    $("format-hold").checked = fmt.hold_chat_during_share;
    $("format-first").checked = fmt.first_time_first;
    $("format-phases").replaceChildren();
    for (const phase of fmt.phases) addPhase(phase);
    form.hidden = false;
    (fresh ? $("format-name") : $("format-share")).focus();
  }

  function close() {
    form.hidden = true;
    editing = null;
    if (opener && opener.isConnected) opener.focus();
    else $("formats-heading").focus();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearProblem();
    const phases = currentPhases();
    const body = { share_minutes: Number($("format-share").value), phases,
      hold_chat_during_share: $("format-hold").checked, first_time_first: $("format-first").checked,
      updated_at: editing.updated_at };
    const name = editing.fresh ? $("format-name").value.trim() : editing.name;
    if (editing.fresh && !name) {
      showFormError(form, { field: "name", message: "Give the format a name." });
      return;
    }
    if (editing.fresh && known.some((f) => f.name === name)) {
      showFormError(form, { field: "name", message: "A format by this name already exists." });
      return;
    }
    if (editing.fresh) body.updated_at = null;
    const answer = await api("PUT", `/api/admin/formats/${encodeURIComponent(name)}`, body);
    if (!answer.ok) {
      if (answer.error.code === "invalid") showFormError(form, answer.error);
      else showProblem(answer.error, answer.error.code === "stale" ? load : null);
      return;
    }
    announce(`Format ${name} was saved.`);
    form.hidden = true;
    editing = null;
    await load();
    $("formats-heading").focus();
    ctx.changed();
  });

  $("format-phase-add").addEventListener("click", () => addPhase().focus());
  $("format-new").addEventListener("click", (e) => {
    const base = known.find((f) => f.name === "default") || known[0];
    if (base) open(base, e.currentTarget, true);
  });
  $("format-cancel").addEventListener("click", close);
  form.addEventListener("keydown", (e) => { if (e.key === "Escape") close(); });
  return { load };
}
