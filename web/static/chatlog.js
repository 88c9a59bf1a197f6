// The chat log: messages on screen in seq order, capped, scrolled, deleted; and the
// per-message buttons (delete for staff, report for members). Untrusted text only
// ever goes through textContent (render.js).

import { call, socket } from "./connection.js";
import { announce, showError } from "./notices.js";
import { messageActions, messageElement, noteServerTime } from "./render.js";
import { closeReport, openReport } from "./report.js";
import { saveSession } from "./session.js";
import { $, ROOM, isStaff, state } from "./state.js";

const MAX_LOG = 500; // keep long nights fast on old phones

const log = $("log");

function nearBottom() {
  return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
}

function scrollToLatest() {
  log.scrollTop = log.scrollHeight;
  $("jump-latest").hidden = true;
}

function permissionsFor(msg) {
  // Our earlier ids count too: after a server restart the seat may be a new one, and
  // what we wrote before is still ours (no Report button on it).
  const own = Boolean(msg.member && (state.ownIds.has(msg.member.id) || (state.me && msg.member.id === state.me.id)));
  return { own, canDelete: isStaff(), canReport: Boolean(state.me) && !own && !isStaff() };
}

/**
 * Bring a message into view for a facilitator (from an alert). It needs only
 * `state.messages`, not the log made below, so the staff tools can have it before the
 * log exists: the log tells them about each message, they ask it to show one.
 */
export function focusMessage(id) {
  const entry = state.messages.get(id);
  if (!entry) return false;
  entry.li.tabIndex = -1;
  entry.li.classList.add("msg-flagged");
  entry.li.focus();
  entry.li.scrollIntoView({ block: "center" });
  return true;
}

/**
 * ctx: {staff: {onMessage(id), onMessageDeleted(id)}} (staff-link.js): the held
 * messages in the staff panel follow what the log shows.
 */
export function createChatlog({ staff }) {
  /** A fresh join: nothing from before stays on screen, and seq counts from zero. */
  function clearLog() {
    state.messages.clear();
    log.replaceChildren();
    state.lastSeq = 0;
  }

  /**
   * The room's history started again (a single server restarted with no shared
   * store): keep what is on screen above, in its order, and count afresh below it.
   */
  function restartNumbering() {
    const items = [...log.children];
    items.forEach((li, i) => { li.dataset.seq = String(i - items.length); });
    state.lastSeq = 0;
  }

  function addMessage(msg, { quiet = false } = {}) {
    if (!msg || msg.room !== ROOM || typeof msg.id !== "string") return;
    if (state.messages.has(msg.id)) return; // a resend or a replay: once only
    const stick = nearBottom();
    const li = messageElement(msg, permissionsFor(msg));
    state.messages.set(msg.id, { msg, li });

    // Ordered by seq: walk back from the end (almost always zero steps).
    const seq = Number(msg.seq);
    let after = log.lastElementChild;
    while (after && Number(after.dataset.seq) > seq) after = after.previousElementSibling;
    if (after) after.after(li); else log.prepend(li);

    if (Number.isFinite(seq) && seq > state.lastSeq) {
      state.lastSeq = seq;
      saveSession();
    }
    while (log.children.length > MAX_LOG) {
      const oldest = log.firstElementChild;
      state.messages.delete(oldest.dataset.messageId);
      oldest.remove();
    }
    staff.onMessage(msg.id);
    if (stick || permissionsFor(msg).own || quiet) scrollToLatest();
    else $("jump-latest").hidden = false;
  }

  function removeMessage(id) {
    const entry = state.messages.get(id);
    staff.onMessageDeleted(id);
    if (!entry) return;
    if (entry.li.contains(document.activeElement)) log.focus();
    entry.li.remove();
    state.messages.delete(id);
    if (state.reportTarget === id) closeReport();
  }

  /** Our role changed (joined, promoted): redraw each message's buttons. */
  function refreshMessageActions() {
    for (const { msg, li } of state.messages.values()) {
      const fresh = messageActions(permissionsFor(msg));
      li.querySelector(".msg-actions").replaceWith(fresh);
    }
  }

  socket.on("message", (msg) => {
    // A message arrives as it is posted: its ts is the server's "now" (share timers).
    if (msg && msg.room === ROOM && typeof msg.ts === "string") noteServerTime(msg.ts);
    addMessage(msg);
  });
  socket.on("message_deleted", (data) => {
    if (data && data.room === ROOM) removeMessage(data.id);
  });

  $("jump-latest").addEventListener("click", () => { scrollToLatest(); log.focus(); });
  log.addEventListener("scroll", () => { if (nearBottom()) $("jump-latest").hidden = true; });

  log.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const li = button.closest("[data-message-id]");
    const id = li && li.dataset.messageId;
    if (!id) return;
    if (button.dataset.action === "delete") {
      button.disabled = true;
      const answer = await call("mod", { room: ROOM, action: "delete", message_id: id });
      if (answer.ok) {
        removeMessage(id);
        announce("Message deleted.");
      } else {
        button.disabled = false;
        showError(answer.error);
      }
    } else if (button.dataset.action === "report") {
      openReport(id);
    }
  });

  return { addMessage, clearLog, refreshMessageActions, restartNumbering };
}
