// The room itself: title, status badges, pinned text, and what a room_state changes
// everywhere else on the page (queue, share, members, lobby, staff tools).

import { endWait } from "./compose.js";
import { socket } from "./connection.js";
import { announce } from "./notices.js";
import { formatSeconds, noteServerTime, phaseLabel } from "./render.js";
import { $, KIND, ROOM, isStaff, state } from "./state.js";

const STATUS_TEXT = { open: "Open", lobby: "Doors open", closed: "Closed" };

function renderStatus(r) {
  const kindText = (r.kind || KIND) === "drop-in" ? "Drop-in room" : "Meeting";
  $("status-text").textContent = `${kindText} · ${STATUS_TEXT[r.status] || r.status || ""}`;
  $("status-locked").hidden = !r.locked;
  $("status-paused").hidden = !r.paused;
  $("status-slow").hidden = !r.slow_mode;
  $("status-slow").textContent = r.slow_mode ? `Slow mode: ${formatSeconds(r.slow_mode)}` : "";
  const phase = r.status === "open" && r.phase ? phaseLabel(r.phase) : "";
  const chatOpen = r.chat !== false;
  $("status-phase").hidden = !phase;
  $("status-phase").textContent = phase ? `Now: ${phase}` : "";
  $("status-chat").hidden = !phase;
  $("status-chat").textContent = chatOpen ? "Chat is open" : "Chat is paused for this part";
  $("status-chat").classList.toggle("status-chat-paused", !chatOpen);
  // Staff can always write; members are told before they type, not after.
  const note = $("chat-note");
  // The person sharing may write (DESIGN: only *other* members' chat is held).
  const sharing = Boolean(state.me && r.share && r.share.member_id === state.me.id);
  const held = Boolean(phase) && !chatOpen && !isStaff() && !sharing;
  note.hidden = !held;
  note.textContent = held
    ? "Chat is paused for this part of the meeting. You can read along; it opens again soon."
    : "";
}

/**
 * ctx: what a room_state redraws elsewhere: {renderLobby()} (lobby.js), {renderMembers()}
 * (members.js), {renderQueue(queue), renderShare(share)} (share.js), {staff:
 * {onRoomState(room)}} (staff-link.js); and {endMembership(message)} (stage.js) for a
 * meeting that closes. Returns renderRoomState, which a join's answer goes through too.
 */
export function createRoomState({ staff, endMembership, renderLobby, renderMembers, renderQueue, renderShare }) {
  function renderRoomState(room) {
    state.room = { ...(state.room || {}), ...room };
    const r = state.room;
    // A server clock reading, if the server sends one (share timers use it).
    if (typeof room.now === "string") noteServerTime(room.now);
    if (r.title) $("room-title").textContent = r.title;
    renderStatus(r);
    $("pinned").hidden = !r.pinned || state.stage === "lobby";
    $("pinned-text").textContent = r.pinned || "";
    // Slow mode switched off: the wait it imposed is over too.
    if (!r.slow_mode && state.waitCode === "slow_mode") endWait({ quiet: true });
    renderQueue(r.queue);
    renderShare(r.share);
    renderMembers();
    renderLobby();
    staff.onRoomState(r);
  }

  socket.on("room_state", (room) => {
    if (!room || room.room !== ROOM) return;
    const before = state.room || {};
    renderRoomState(room);
    if (state.stage === "lobby") {
      if (room.status === "closed") {
        endMembership("This meeting has closed. Please check the schedule for the next one.");
      }
      return;
    }
    if (state.stage !== "in") return;
    if (room.paused && !before.paused) announce("A facilitator has paused the room for a moment.");
    else if (!room.paused && before.paused) announce("The room is open for messages again.");
    if (room.status === "closed" && KIND === "meeting") {
      endMembership("This meeting has ended. Thank you for being here.");
      return;
    }
    if (room.status === "open" && before.status && before.status !== "open") {
      announce("The meeting is open.");
    } else if (room.status === "open" && room.phase && before.phase && room.phase !== before.phase) {
      announce(`Now: ${phaseLabel(room.phase)}. ${room.chat === false ? "Chat is paused for this part." : "Chat is open."}`);
    }
  });

  return { renderRoomState };
}
