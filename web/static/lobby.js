// The waiting room: shown while the server answers `waiting`, left on `admitted` and
// `joined` (membership.js seats us, and wires the lobby's Leave button to its leave).

import { socket } from "./connection.js";
import { announce } from "./notices.js";
import { formatTime } from "./render.js";
import { $, ROOM, state } from "./state.js";

/** ctx: {showStage(stage)} (stage.js). */
export function createLobby({ showStage }) {
  function enterLobby() {
    const first = state.stage !== "lobby";
    showStage("lobby");
    $("lobby-as").textContent = state.handle ? `You'll appear as ${state.handle}.` : "";
    if (first) {
      announce("You're in the waiting room. You'll be let in when the meeting opens.");
      $("lobby-section").focus();
      loadStartTime();
    }
  }

  // When the meeting starts: room_state has no schedule, /api/rooms does (same origin).
  async function loadStartTime() {
    try {
      const response = await fetch("/api/rooms", { headers: { Accept: "application/json" }, cache: "no-store" });
      const rooms = response.ok ? await response.json() : [];
      const mine = Array.isArray(rooms) ? rooms.find((r) => r && r.id === ROOM) : null;
      state.startsAt = mine && typeof mine.next_start === "string" ? mine.next_start : null;
    } catch {
      state.startsAt = null; // the lobby still reads well without a time
    }
    renderLobby();
  }

  function renderLobby() {
    const r = state.room || {};
    let when = "A facilitator will let you in soon.";
    if (r.status === "lobby" && state.startsAt && formatTime(state.startsAt)) {
      // The doors open minutes before the start (a scheduled lobby), so the time alone
      // is clear, and it doesn't depend on this device's clock being right.
      when = `The meeting opens at ${formatTime(state.startsAt)}.`;
    } else if (r.status === "lobby") {
      when = "The meeting opens soon.";
    } else if (r.status === "open") {
      when = "The meeting has started. A facilitator will let you in soon.";
    }
    $("lobby-when").textContent = when;
    $("lobby-welcome").hidden = !r.pinned;
    $("lobby-welcome-text").textContent = r.pinned || "";
  }

  socket.on("admitted", (data) => {
    if (data && data.room === ROOM && state.stage === "lobby") announce("You're being let in…");
  });

  return { enterLobby, renderLobby };
}
