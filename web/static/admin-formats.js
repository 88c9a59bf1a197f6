// Formats: the phases of a meeting and the share length. The built-in "default" and
// formats from the config file are shown read-only.

import { api } from "./admin-api.js";
import {
  $, announce, clearFieldErrors, clearProblem, removeButton, rowInput, showFormError,
  showProblem, sourceNote,
} from "./admin-ui.js";
import { el } from "./render.js";

/** ctx: {changed()} */
export function createFormats(ctx) {
  const form = $("format-form");
  let editing = null;
  let opener = null;

  function describe(fmt) {
    const phases = fmt.phases.map((p) => `${p.name}${p.chat ? "" : " (no chat)"}`).join(" → ");
    return `${phases}; ${fmt.share_minutes} min shares`;
  }

  function item(fmt) {
    const actions = el("span", { className: "actions" });
    if (fmt.source === "config") actions.append(sourceNote(fmt));
    else {
      actions.append(el("button", { type: "button", className: "button-quiet", text: "Edit",
        "aria-label": `Edit format ${fmt.name}`, on: { click: (e) => open(fmt, e.currentTarget) } }));
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
    list.replaceChildren(...answer.data.map(item));
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
    row.append(name.wrap, chat.wrap, pin.wrap, removeButton(row, `Remove phase ${i + 1}`));
    list.append(row);
    return name.input;
  }

  function open(fmt, button) {
    clearProblem();
    clearFieldErrors(form);
    editing = fmt;
    opener = button;
    $("format-form-heading").textContent = `Edit format ${fmt.name}`;
    $("format-share").value = fmt.share_minutes;
    $("format-hold").checked = fmt.hold_chat_during_share;
    $("format-first").checked = fmt.first_time_first;
    $("format-phases").replaceChildren();
    for (const phase of fmt.phases) addPhase(phase);
    form.hidden = false;
    $("format-share").focus();
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
    const phases = [...$("format-phases").children].map((row) => {
      const pin = row.querySelector(".phase-pin").value.trim();
      return { name: row.querySelector(".phase-name").value.trim(),
        chat: row.querySelector(".phase-chat").checked, ...(pin ? { pin } : {}) };
    });
    const body = { share_minutes: Number($("format-share").value), phases,
      hold_chat_during_share: $("format-hold").checked, first_time_first: $("format-first").checked,
      updated_at: editing.updated_at };
    const answer = await api("PUT", `/api/admin/formats/${encodeURIComponent(editing.name)}`, body);
    if (!answer.ok) {
      if (answer.error.code === "invalid") showFormError(form, answer.error);
      else showProblem(answer.error, answer.error.code === "stale" ? load : null);
      return;
    }
    announce(`Format ${editing.name} was saved.`);
    form.hidden = true;
    editing = null;
    await load();
    $("formats-heading").focus();
    ctx.changed();
  });

  $("format-phase-add").addEventListener("click", () => addPhase().focus());
  $("format-cancel").addEventListener("click", close);
  form.addEventListener("keydown", (e) => { if (e.key === "Escape") close(); });
  return { load };
}
