// The socket: this device's token, acknowledged emits, and what a (re)connection does
// (resume our seat, or finish a join that was waiting for the connection).
//
// Protocol: DESIGN.md §3. Every emit waits for its acknowledgement; failures show the
// server's own message.

import { announce, clearError, setConnection, showError } from "./notices.js";
import { el } from "./render.js";
import { $, state } from "./state.js";
import { storageGet, storageSet } from "./storage.js";

const DEVICE_KEY = "peer-rooms:device";
const ACK_TIMEOUT_MS = 10_000;

export const socket = window.io({
  auth: { device: storageGet("localStorage", DEVICE_KEY) || null },
  transports: ["websocket", "polling"],
  tryAllTransports: true,
});

/**
 * Emit with an acknowledgement and a timeout. Always resolves to the protocol's
 * answer shape, so callers handle one thing.
 */
export async function call(event, payload, { quiet = false } = {}) {
  if (!quiet) clearError();
  if (!socket.connected) {
    return { ok: false, error: { code: "offline", message: "You're offline right now. Reconnecting…" } };
  }
  try {
    const answer = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload);
    if (answer && typeof answer === "object") return answer;
    return { ok: false, error: { code: "bad_answer", message: "The server sent an answer this page doesn't understand." } };
  } catch {
    return { ok: false, error: { code: "timeout", message: "The server didn't answer in time. Please try again." } };
  }
}

/** At start: say we are connecting, unless the socket already is (or has given up). */
export function showConnecting() {
  if (!socket.connected) setConnection(socket.active ? "Connecting…" : "");
}

/**
 * join({resume}) comes from membership.js, which sends through `call`: passed in, so
 * the two modules don't import each other.
 */
export function setupConnection({ join }) {
  socket.on("welcome", ({ device } = {}) => {
    if (typeof device !== "string" || !device) return;
    storageSet("localStorage", DEVICE_KEY, device);
    socket.auth.device = device; // used by every reconnection from now on
  });

  socket.on("connect", () => {
    const wasDisconnected = state.disconnected;
    state.disconnected = false;
    setConnection("");
    if (wasDisconnected) announce("Reconnected.");
    if (state.blocked) return;
    if (state.memberToken && state.stage !== "lobby") {
      // A reconnect, or a reload of this tab: pick up where we left off.
      join({ resume: true });
    } else if (state.stage === "lobby" || state.wantJoin) {
      join();
    }
  });

  socket.on("disconnect", (reason) => {
    state.disconnected = true;
    if (state.blocked) {
      setConnection("");
      return;
    }
    setConnection("Reconnecting…");
    if (reason === "io server disconnect" && !state.blocked) {
      // The server ended this connection (a restart, or a process going away);
      // socket.io does not retry those by itself.
      window.setTimeout(() => { if (!socket.connected) socket.connect(); }, 1500 + Math.random() * 1500);
    }
  });

  socket.on("connect_error", (err) => {
    if (socket.active) {
      setConnection("Can't reach the server. Trying again…");
      return;
    }
    // Refused by the server: it won't retry by itself.
    setConnection("Not connected");
    if (err && err.message === "auth_failed") {
      const next = encodeURIComponent(window.location.pathname);
      $("error").replaceChildren("Your facilitator sign-in has expired or is no longer valid. ",
        el("a", { href: `/login?next=${next}` }, "Sign in again"), ".");
    } else if (err && err.message === "too_many_connections") {
      showError({ message: "This device has too many rooms open. Close another tab, then reload this page." });
    } else {
      showError({ message: "Couldn't connect to the room. Please reload the page." });
    }
  });
}
