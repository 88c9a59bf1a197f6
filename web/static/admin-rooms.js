// Rooms and meetings: the list, the create/edit form and delete with a confirmation.
//
// An edit starts from the record as read and sends it whole (PUT replaces), so keys
// the form does not show (formatted_address) survive; `updated_at` goes with it and
// a record changed meanwhile answers 409 `stale`.

import { api } from "./admin-api.js";
import {
  $, announce, clearFieldErrors, clearProblem, confirmInline, removeButton, rowInput,
  showFormError, showProblem, sourceNote,
} from "./admin-ui.js";
import { el } from "./render.js";

/** ctx: {changed() — a record changed (the audit refreshes)} */
export function createRooms(ctx) {
  const form = $("room-form");
  let editing = null; // the record being edited, or null for a new room
  let opener = null; // the button that opened the form, for focus on cancel
  let people = [];

  function summary(room) {
    if (room.kind === "drop-in") return "Drop-in, always open";
    const times = (room.weekly || []).join(", ") || "no weekly times";
    return `Meeting: ${times} (${room.timezone || "no time zone"}), ${room.duration}`;
  }

  function roomItem(room) {
    const actions = el("span", { className: "actions" });
    if (room.source === "config") {
      actions.append(sourceNote(room));
    } else {
      actions.append(
        el("button", { type: "button", className: "button-quiet", text: "Edit",
          "aria-label": `Edit ${room.title}`, on: { click: (e) => openForm(room, e.currentTarget) } }),
        el("button", { type: "button", className: "button-danger", text: "Delete",
          "aria-label": `Delete ${room.title}`,
          on: { click: () => confirmInline(actions,
            `Delete “${room.title}”? A meeting in session is closed first.`,
            `Delete ${room.title} for good`, () => remove(room)) } }),
      );
    }
    return el("li", { className: "admin-item", dataset: { roomId: room.id } },
      el("span", { className: "admin-item-main" },
        el("a", { href: `/rooms/${room.id}`, className: "admin-item-title", text: room.title }),
        el("span", { className: "muted", text: ` (${room.id})` })),
      el("span", { className: "admin-item-detail", text: summary(room) }),
      actions);
  }

  async function load() {
    const list = $("room-list");
    const answer = await api("GET", "/api/admin/rooms");
    list.removeAttribute("aria-busy");
    if (!answer.ok) { showProblem(answer.error); return; }
    const rooms = answer.data.slice().sort((a, b) => a.title.localeCompare(b.title));
    list.replaceChildren(...rooms.map(roomItem));
    if (!rooms.length) list.append(el("li", { className: "muted", text: "No rooms yet." }));
  }

  async function remove(room) {
    const answer = await api("DELETE", `/api/admin/rooms/${encodeURIComponent(room.id)}`);
    if (!answer.ok) { showProblem(answer.error, answer.error.code === "stale" ? load : null); return false; }
    announce(`${room.title} was deleted.`);
    await load();
    $("rooms-heading").focus();
    ctx.changed();
    return true;
  }

  // ---- the form -------------------------------------------------------------

  function addWeekly(value = "") {
    const list = $("room-weekly");
    const row = el("li", { className: "row" });
    const n = list.children.length + 1;
    const { wrap, input } = rowInput(`Weekly time ${n}`, { value, field: `weekly[${n - 1}]` });
    input.setAttribute("aria-describedby", "room-weekly-hint");
    input.placeholder = "tue 19:00";
    row.append(wrap, removeButton(row, `Remove weekly time ${n}`, renumberWeekly));
    list.append(row);
    return input;
  }

  function renumberWeekly(list) {
    [...list.children].forEach((row, i) => {
      row.querySelector("label").textContent = `Weekly time ${i + 1}`;
      row.querySelector("input").dataset.field = `weekly[${i}]`;
      row.querySelector("button").setAttribute("aria-label", `Remove weekly time ${i + 1}`);
    });
  }

  async function fillChoices(room) {
    const [formats, facilitators] = await Promise.all([
      api("GET", "/api/admin/formats"), api("GET", "/api/admin/facilitators")]);
    const select = $("room-format");
    const names = formats.ok ? formats.data.map((f) => f.name) : ["default"];
    select.replaceChildren(el("option", { value: "", text: "Default" }),
      ...names.filter((n) => n !== "default").map((n) => el("option", { value: n, text: n })));
    select.value = room.format && names.includes(room.format) ? room.format : "";
    // Invited people count too, so a new facilitator's meeting can be set up before
    // they first sign in (cancelling the invite takes them off the room again).
    people = facilitators.ok ? facilitators.data.map((p) => ({ name: p.name, pending: p.pending })) : [];
    for (const name of [...(room.hosts || []), ...(room.facilitators || [])]) {
      if (!people.some((p) => p.name === name)) people.push({ name, pending: false });
    }
    checkList($("room-hosts"), room.hosts || []);
    checkList($("room-facilitators"), room.facilitators || []);
    $("room-facilitators-limit").checked = Array.isArray(room.facilitators);
    showFacilitators();
  }

  // The list only means something when the room is limited to it.
  function showFacilitators() {
    $("room-facilitators").hidden = !$("room-facilitators-limit").checked;
  }

  // One checkbox per facilitator, ticked for those in `chosen`.
  function checkList(list, chosen) {
    list.replaceChildren(...people.map(({ name, pending }) => {
      const label = pending ? `${name} (invited, not signed in yet)` : name;
      const { wrap, input } = rowInput(label, { type: "checkbox", value: chosen.includes(name) });
      input.value = name;
      return el("li", {}, wrap);
    }));
    if (!people.length) list.append(el("li", { className: "muted", text: "No facilitators yet." }));
  }

  function ticked(list) {
    return [...list.querySelectorAll("input:checked")].map((i) => i.value);
  }

  // Not limited: any facilitator (null). Limited with nobody ticked: only the hosts ([]).
  function facilitators() {
    return $("room-facilitators-limit").checked ? ticked($("room-facilitators")) : null;
  }

  function showKind() {
    const meeting = $("room-kind").value === "meeting";
    for (const node of form.querySelectorAll(".meeting-only")) node.hidden = !meeting;
  }

  async function openForm(room, button) {
    clearProblem();
    clearFieldErrors(form);
    editing = room;
    opener = button;
    const r = room || { kind: "meeting", weekly: [""], duration: "90m", doors_open: "15m",
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || "" };
    $("room-form-heading").textContent = room ? `Edit ${room.title}` : "New room";
    $("room-id").value = r.id || "";
    $("room-id").readOnly = Boolean(room);
    $("room-title").value = r.title || "";
    $("room-kind").value = r.kind;
    $("room-weekly").replaceChildren();
    for (const w of (r.weekly && r.weekly.length ? r.weekly : [""])) addWeekly(w);
    $("room-timezone").value = r.timezone || "";
    $("room-duration").value = r.duration || "90m";
    $("room-doors").value = r.doors_open || "15m";
    $("room-since").value = r.since || "";
    $("room-until").value = r.until || "";
    $("room-capacity").value = r.capacity ?? "";
    $("room-admit").checked = Boolean(r.admit_by_hand);
    $("room-terms").value = (r.blocked_terms || [])
      .map((t) => (t.action === "hold" ? `hold: ${t.term}` : t.term)).join("\n");
    $("room-description").value = r.description || "";
    $("room-types").value = (r.types || []).join(" ");
    await fillChoices(r);
    showKind();
    form.hidden = false;
    $("room-new").hidden = true;
    (room ? $("room-title") : $("room-id")).focus();
  }

  function closeForm() {
    form.hidden = true;
    $("room-new").hidden = false;
    editing = null;
    (opener && opener.isConnected ? opener : $("room-new")).focus();
  }

  function terms(text) {
    return text.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
      const hold = /^hold\s*:/i.exec(line);
      return hold ? { term: line.slice(hold[0].length).trim(), action: "hold" } : { term: line, action: "block" };
    });
  }

  // Sent as typed so an error's index ("weekly[1]") is the row's; all empty is none.
  function weeklyTimes() {
    const values = [...$("room-weekly").querySelectorAll("input")].map((i) => i.value.trim());
    return values.some(Boolean) ? values : [];
  }

  function record() {
    const meeting = $("room-kind").value === "meeting";
    const capacity = $("room-capacity").value.trim();
    const base = editing ? { ...editing } : {};
    delete base.source;
    return {
      ...base,
      id: $("room-id").value.trim(),
      title: $("room-title").value.trim(),
      kind: $("room-kind").value,
      weekly: meeting ? weeklyTimes() : [],
      timezone: meeting ? $("room-timezone").value.trim() || null : null,
      duration: $("room-duration").value.trim() || null,
      doors_open: $("room-doors").value.trim() || null,
      format: meeting ? $("room-format").value || null : null,
      // Not shown for a drop-in: whatever it had stays as it was.
      since: meeting ? $("room-since").value || null : base.since ?? null,
      until: meeting ? $("room-until").value || null : base.until ?? null,
      hosts: ticked($("room-hosts")),
      facilitators: facilitators(),
      capacity: capacity === "" ? null : Number(capacity),
      admit_by_hand: $("room-admit").checked,
      blocked_terms: terms($("room-terms").value),
      description: $("room-description").value.trim() || null,
      types: meeting ? $("room-types").value.split(/[\s,]+/).filter(Boolean).map((t) => t.toUpperCase()) : [],
    };
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearProblem();
    const body = record();
    const answer = editing
      ? await api("PUT", `/api/admin/rooms/${encodeURIComponent(editing.id)}`, body)
      : await api("POST", "/api/admin/rooms", body);
    if (!answer.ok) {
      const error = answer.error;
      if (error.code === "invalid") showFormError(form, error);
      else if (error.code === "stale") {
        showProblem(error, async () => {
          await load();
          const fresh = await api("GET", `/api/admin/rooms/${encodeURIComponent(body.id)}`);
          if (fresh.ok) openForm(fresh.data, null);
        });
      } else if (error.code === "exists") {
        showFormError(form, { field: "id", message: "A room with this address name already exists. Choose another." });
      } else showProblem(error);
      return;
    }
    clearFieldErrors(form);
    announce(editing ? `${answer.data.title} was saved.` : `${answer.data.title} was created.`);
    form.hidden = true;
    $("room-new").hidden = false;
    editing = null;
    await load();
    $("rooms-heading").focus();
    ctx.changed();
  });

  $("room-kind").addEventListener("change", showKind);
  $("room-facilitators-limit").addEventListener("change", showFacilitators);
  $("room-weekly-add").addEventListener("click", () => addWeekly().focus());
  $("room-new").addEventListener("click", (e) => openForm(null, e.currentTarget));
  $("room-cancel").addEventListener("click", closeForm);
  form.addEventListener("keydown", (e) => { if (e.key === "Escape") closeForm(); });

  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  $("time-zones").replaceChildren(...zones.map((z) => el("option", { value: z })));

  return { load };
}
