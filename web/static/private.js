// Private check-ins (DESIGN §3 `mod private`, `send {to: "staff"}`, `private`): a
// facilitator opens a line to one member, every facilitator in the room sees every
// message of it, and the member may answer. Members never start one.
//
// Staff see one entry per line in the console (#lines); the member sees #checkin just
// above the message box. Nothing of a line is stored in the browser: a reload starts
// the panel empty (the server ends a line when the membership ends, a dropped
// connection included; staff writing again reopens it).

import { uuid } from "./compose.js";
import { call, socket } from "./connection.js";
import { memberHandle } from "./handles.js";
import { announce, showError } from "./notices.js";
import { el, isStaffRole, roleLabel, timeElement } from "./render.js";
import { $, ROOM, isStaff, state } from "./state.js";

function lineMessage(data) {
  const writer = data.member || {};
  return el("li", { className: isStaffRole(writer.role) ? "line-msg line-msg-staff" : "line-msg", dataset: { id: data.id } },
    el("span", { className: "msg-handle" }, writer.handle || "Someone"),
    isStaffRole(writer.role) ? el("span", { className: "badge badge-role" }, roleLabel(writer.role)) : null,
    " ", timeElement(data.ts, "msg-time"),
    el("p", { className: "msg-text" }, String(data.text ?? "")));
}

function appendOnce(list, data) {
  if ([...list.children].some((li) => li.dataset.id === data.id)) return false;
  list.append(lineMessage(data));
  list.scrollTop = list.scrollHeight;
  return true;
}

/**
 * ctx: {mod(action, fields) -> answer} (staff-link.js), {onLinesChanged(n)} so the
 * console can count open lines. Returns {open(memberId, {greet}), show()} for alerts
 * and the member list.
 */
export function createPrivate({ mod, onLinesChanged = () => {} }) {
  const lines = new Map(); // member id -> {li, log, text, status}

  function refresh() {
    $("lines-empty").hidden = lines.size > 0;
    $("lines-count").textContent = lines.size ? `(${lines.size})` : "";
    onLinesChanged(lines.size);
  }

  function lineFor(memberId) {
    let line = lines.get(memberId);
    if (line) return line;
    const handle = memberHandle(memberId) || "a member";
    const fieldId = `line-text-${lines.size}-${memberId.replace(/[^A-Za-z0-9_-]/g, "")}`;
    const log = el("ol", { className: "line-log", "aria-label": `Private check-in with ${handle}` });
    const text = el("textarea", { id: fieldId, rows: 2, maxlength: 2000 });
    const status = el("p", { className: "hint line-status" });
    const form = el("form", { className: "line-form" },
      el("label", { for: fieldId }, `Write to ${handle} privately`), text,
      el("div", { className: "actions" },
        el("button", { type: "submit", className: "button-primary" }, "Send privately"),
        el("button", { type: "button", className: "button-quiet", on: { click: () => close(memberId) } },
          "Close", el("span", { className: "visually-hidden" }, ` the check-in with ${handle} on this page`))));
    const li = el("li", { className: "staff-item line", dataset: { memberId } },
      el("span", { className: "staff-item-title" }, `With ${handle}`), status, log, form);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      write(memberId, text.value);
    });
    text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        write(memberId, text.value);
      }
    });
    line = { li, log, text, status };
    lines.set(memberId, line);
    $("lines").prepend(li);
    refresh();
    return line;
  }

  function close(memberId) {
    const line = lines.get(memberId);
    if (!line) return;
    line.li.remove();
    lines.delete(memberId);
    refresh();
    $("lines-heading").focus();
  }

  async function write(memberId, raw) {
    const line = lineFor(memberId);
    const text = raw.trim();
    if (!text) {
      line.text.focus();
      return false;
    }
    const answer = await mod("private", { member_id: memberId, text });
    if (!answer.ok) return false;
    if (line.text.value.trim() === text) line.text.value = "";
    return true;
  }

  /** Open (or bring up) the line to a member; `greet` sends a first word right away. */
  async function open(memberId, { greet = false } = {}) {
    const line = lineFor(memberId);
    const handle = memberHandle(memberId) || "there";
    line.li.scrollIntoView({ block: "nearest" });
    line.text.focus();
    if (!greet) return true;
    const me = state.me ? state.me.handle : "a facilitator";
    return write(memberId, `Hi ${handle}, it's ${me}, one of the facilitators. I wanted to check in with you privately: how are you doing right now?`);
  }

  // ---- the member's side ----------------------------------------------------

  let checkinClientId = null; // one client_id per text across retries
  let checkinText = "";

  $("checkin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const box = $("checkin-text");
    const text = box.value.trim();
    if (!text) { box.focus(); return; }
    if (text !== checkinText) { checkinText = text; checkinClientId = uuid(); }
    const answer = await call("send", { room: ROOM, text, client_id: checkinClientId, to: "staff" });
    if (answer.ok) {
      if (box.value.trim() === text) box.value = "";
      checkinText = "";
    } else {
      showError(answer.error);
    }
  });
  $("checkin-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      $("checkin-form").requestSubmit();
    }
  });

  socket.on("private", (data) => {
    if (!data || data.room !== ROOM || typeof data.id !== "string" || typeof data.to !== "string") return;
    if (state.me && data.to === state.me.id && !isStaff()) {
      const panel = $("checkin");
      const first = panel.hidden;
      panel.hidden = false;
      const added = appendOnce($("checkin-log"), data);
      const fromStaff = isStaffRole(data.member?.role);
      if (first && fromStaff) {
        announce("A facilitator started a private check-in with you, just above the message box. Only facilitators can read it.");
      } else if (added && fromStaff) {
        announce(`${data.member?.handle || "A facilitator"} wrote to you privately.`);
      }
      return;
    }
    if (!isStaff()) return;
    const line = lineFor(data.to);
    line.status.textContent = "";
    appendOnce(line.log, data);
  });

  function onLeft(id) {
    const line = lines.get(id);
    if (line) line.status.textContent = `${memberHandle(id) || "They"} left the room, so this check-in has ended. If they come back, writing again reopens it.`;
  }
  function onJoined(member) {
    const line = member && lines.get(member.id);
    if (line) line.status.textContent = "";
  }
  socket.on("presence", (data) => {
    if (!data || data.room !== ROOM) return;
    if (data.left) onLeft(data.left);
    if (data.joined) onJoined(data.joined);
  });
  socket.on("presence_batch", (data) => {
    if (!data || data.room !== ROOM) return;
    for (const id of Array.isArray(data.left) ? data.left : []) onLeft(id);
    for (const member of Array.isArray(data.joined) ? data.joined : []) onJoined(member);
  });

  refresh();
  return { open };
}
