// Being in the room: joining and resuming, being seated, and leaving. Which view
// shows, and the end of a membership, are stage.js.

import { sendIfWaitingForReconnect } from "./compose.js";
import { call, socket } from "./connection.js";
import { announce, showError } from "./notices.js";
import { clearSession, saveSession } from "./session.js";
import { $, FACILITATOR, ROOM, isStaff, state } from "./state.js";

const JOIN_FALLBACK = {
  closed: "This meeting isn't open right now.",
  locked: "This room is locked right now. Please try again a little later.",
  paused: "This room is paused for a moment. Please try again shortly.",
  banned: "You can't join this room.",
  handle_taken: "Someone here already uses that name, or one that looks like it. Please pick another.",
  handle_invalid: "That name can't be used. Please use 2 to 32 letters, numbers or spaces.",
  full: "This room is full right now.",
};

/**
 * ctx: {showStage(stage), endMembership(message)} (stage.js); {enterLobby()} (lobby.js)
 * for a `waiting` answer; {renderRoomState(room)} (roomstate.js), {renderMembers()}
 * (members.js) and {chatlog: {addMessage, clearLog, refreshMessageActions,
 * restartNumbering}} (chatlog.js) for being seated; {staff: {onBacklog(answer)}}
 * (staff.js) for what a facilitator's answer lists as waiting. Returns join, for
 * (re)connections.
 */
export function createMembership({ chatlog, staff, showStage, endMembership, enterLobby, renderRoomState, renderMembers }) {
  const { addMessage, clearLog, refreshMessageActions, restartNumbering } = chatlog;

  async function join({ resume = false } = {}) {
    state.wantJoin = false;
    const payload = { room: ROOM, handle: state.handle };
    if (resume && state.memberToken) {
      payload.resume = { member_token: state.memberToken, last_seq: state.lastSeq };
    }
    if (!payload.resume) {
      // A fresh join sees nothing from before (DESIGN §3). Cleared before asking, not
      // after the answer: a message can arrive between the server seating us and its
      // answer, and it belongs on screen.
      clearLog();
    }
    const previous = state.stage;
    // A reconnect keeps the room on screen; only a first join shows "joining".
    if (previous !== "lobby" && previous !== "in") showStage("joining");
    const answer = await call("join", payload, { quiet: resume });
    if (answer.ok) {
      onJoined(answer, { resumed: Boolean(payload.resume) });
      return;
    }
    const code = answer.error && answer.error.code;
    if (code === "waiting") {
      // `admitted` + `joined` may overtake this answer when the meeting opens just then.
      if (state.stage === "in") return;
      state.waitingId = typeof answer.waiting_id === "string" ? answer.waiting_id : null;
      enterLobby();
      if (answer.room && typeof answer.room === "object") renderRoomState(answer.room);
      return;
    }
    if (code === "offline" || code === "timeout") {
      // Try again when the connection comes back.
      state.wantJoin = !payload.resume;
      showStage(previous === "in" ? "in" : previous === "lobby" ? "lobby" : "out");
      if (!payload.resume) showError(answer.error);
      return;
    }
    if (payload.resume) clearSession();
    state.me = null;
    showStage("out");
    showError({ message: answer.error?.message || JOIN_FALLBACK[code] });
    if (code === "banned") {
      state.blocked = true;
      showStage("ended");
    } else if (code === "closed" && FACILITATOR) {
      $("open-room-button").hidden = false;
    } else if (code === "handle_taken" || code === "handle_invalid") {
      $("handle").focus();
      $("handle").select();
    }
  }

  function onJoined(answer, { resumed }) {
    const wasIn = state.stage === "in";
    state.me = answer.member;
    state.memberToken = answer.member_token;
    if (!resumed) state.seenFrom = Number(answer.seq) || 0;
    if (state.me && state.me.id) state.ownIds.add(state.me.id);
    state.handle = answer.member?.handle || state.handle;
    state.blocked = false;
    $("open-room-button").hidden = true;

    const roomSeq = Number(answer.seq) || 0;
    if (resumed && roomSeq < state.lastSeq) {
      restartNumbering();
      state.seenFrom = 0; // the room counts from 1 again (a restart with no shared store)
    }
    state.members = new Map((answer.members || []).map((m) => [m.id, m]));
    if (state.me && !state.members.has(state.me.id)) state.members.set(state.me.id, state.me);
    state.memberCount = state.members.size;
    for (const msg of answer.missed || []) addMessage(msg, { quiet: true });
    state.lastSeq = Math.max(state.lastSeq, roomSeq);
    saveSession();

    showStage("in");
    if (answer.room) renderRoomState(answer.room);
    renderMembers();
    refreshMessageActions();
    if (isStaff()) staff.onBacklog(answer);

    if (resumed && wasIn) {
      const missed = (answer.missed || []).length;
      if (missed) announce(missed === 1 ? "1 message arrived while you were away." : `${missed} messages arrived while you were away.`);
    } else {
      announce(`You're in the room as ${state.me.handle}.`);
      $("compose").focus();
    }
    sendIfWaitingForReconnect();
  }

  async function leave() {
    const stage = state.stage;
    await call("leave", { room: ROOM }, { quiet: true });
    state.blocked = false;
    endMembership(stage === "lobby" ? "You left the waiting room." : "You left the room. Take care of yourself.");
  }

  socket.on("joined", (answer) => {
    if (!answer || (answer.room && answer.room.room && answer.room.room !== ROOM)) return;
    onJoined(answer, { resumed: false });
  });

  $("join-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (state.blocked) return;
    const handle = $("handle").value.trim();
    if ([...handle].length < 2 || [...handle].length > 32) {
      showError({ message: "Please choose a name of 2 to 32 characters." });
      $("handle").focus();
      return;
    }
    state.handle = handle;
    clearSession(); // a fresh join, not a resume
    if (!socket.connected) {
      state.wantJoin = true;
      showStage("joining");
      announce("Connecting…");
      return;
    }
    join();
  });

  $("open-room-button").addEventListener("click", async () => {
    const answer = await call("mod", { room: ROOM, action: "open" });
    if (answer.ok) {
      $("open-room-button").hidden = true;
      join();
    } else {
      showError(answer.error);
    }
  });

  $("leave-button").addEventListener("click", leave);
  $("lobby-leave-button").addEventListener("click", leave);

  return { join };
}
