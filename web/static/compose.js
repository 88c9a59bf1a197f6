// Writing and sending: the message box, one client_id per text across retries (so
// nothing is posted twice), and the waits a rate limit or slow mode imposes.

import { call } from "./connection.js";
import { announce, showError } from "./notices.js";
import { formatSeconds } from "./render.js";
import { $, ROOM, state } from "./state.js";

const UNAVAILABLE_RETRIES = 5;

const compose = $("compose");

export function uuid() {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  // randomUUID needs a secure context; getRandomValues does not.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function clearPendingSend() {
  if (state.pendingSend) window.clearTimeout(state.pendingSend.timer);
  state.pendingSend = null;
}

export function updateSendButton() {
  const waiting = Date.now() < state.waitUntil;
  const muted = state.mutedUntil !== null;
  $("send-button").disabled = waiting || muted;
}

export function updateCount() {
  const left = 2000 - compose.value.length;
  $("compose-count").textContent = left <= 200 ? `${left} characters left.` : "";
}

export function endWait({ quiet = false } = {}) {
  window.clearInterval(state.waitTimer);
  state.waitUntil = 0;
  state.waitCode = null;
  $("send-wait").textContent = "";
  $("send-wait").hidden = true;
  updateSendButton();
  if (!quiet) announce("You can send again.");
}

function startWait(seconds, code, reason) {
  const until = Date.now() + Math.max(1, Number(seconds) || 1) * 1000;
  state.waitUntil = until;
  state.waitCode = code;
  window.clearInterval(state.waitTimer);
  const tick = () => {
    const left = (state.waitUntil - Date.now()) / 1000;
    if (left <= 0) {
      endWait();
      return;
    }
    $("send-wait").hidden = false;
    $("send-wait").textContent = `${reason} You can send again in ${formatSeconds(left)}.`;
  };
  tick();
  state.waitTimer = window.setInterval(tick, 1000);
  updateSendButton();
}

async function send() {
  const text = compose.value;
  if (!text.trim()) {
    showError({ message: "Write something first." });
    compose.focus();
    return;
  }
  if (state.stage !== "in") return;
  if (Date.now() < state.waitUntil) {
    showError({ message: $("send-wait").textContent || "Please wait a moment before sending again." });
    return;
  }
  let pending = state.pendingSend;
  if (!pending || pending.text !== text) {
    clearPendingSend();
    // The same client_id for every retry of this text: the server answers a repeat
    // with the first answer and broadcasts nothing, so nothing is posted twice.
    pending = state.pendingSend = { text, clientId: uuid(), attempts: 0, timer: null, onReconnect: false };
  }
  window.clearTimeout(pending.timer);
  pending.onReconnect = false;
  $("send-button").disabled = true;
  const answer = await call("send", { room: ROOM, text, client_id: pending.clientId });
  updateSendButton();
  if (answer.ok) {
    if (compose.value === text) compose.value = "";
    if (state.pendingSend === pending) state.pendingSend = null;
    updateCount();
    return;
  }
  const error = answer.error || {};
  switch (error.code) {
    case "unavailable":
      pending.attempts += 1;
      if (pending.attempts <= UNAVAILABLE_RETRIES) {
        const delay = Math.min(16, 2 ** pending.attempts);
        announce(`Couldn't send just now. Trying again in ${formatSeconds(delay)}…`);
        pending.timer = window.setTimeout(() => {
          if (state.pendingSend === pending && compose.value === pending.text) send();
        }, delay * 1000);
      } else {
        showError({ message: `${error.message || "The room can't take messages right now."} Your message is kept: press Send to try again.` });
      }
      return;
    case "offline":
    case "timeout":
      pending.onReconnect = error.code === "offline";
      showError({ message: `${error.message} Your message is kept${pending.onReconnect ? " and will be sent when you're back online" : ""}.` });
      return;
    case "rate_limited":
    case "slow_mode":
      showError(error);
      startWait(error.retry_after, error.code,
        error.code === "slow_mode" ? "Slow mode is on." : "Please slow down a little.");
      return;
    case "held":
      // Stored for a facilitator to look at; sending it again would not help.
      compose.value = "";
      clearPendingSend();
      updateCount();
      announce(error.message || "Your message is waiting for a facilitator to look at it.");
      return;
    case "muted":
      showError(error);
      return;
    default:
      showError(error);
  }
}

/** Seated again: something typed while the connection was down goes out now, with the same client_id. */
export function sendIfWaitingForReconnect() {
  if (state.pendingSend && compose.value === state.pendingSend.text && state.pendingSend.onReconnect) {
    send();
  }
}

export function setupCompose() {
  $("compose-form").addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });

  compose.addEventListener("keydown", (event) => {
    // Enter sends, Shift+Enter is a new line; never interrupt an IME composition.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      send();
    }
  });
  compose.addEventListener("input", () => {
    updateCount();
    if (state.pendingSend && compose.value !== state.pendingSend.text) clearPendingSend();
  });
}
