// The room page: connection, joining, the chat log, the share queue.
//
// Protocol: DESIGN.md §3. Every emit waits for its acknowledgement; failures show the
// server's own message. Untrusted text only ever goes through textContent (render.js).

import {
  el, formatClock, formatSeconds, formatTime, formatWhen, isStaffRole, memberElement,
  messageActions, messageElement, noteServerTime, phaseLabel, resourceElement, serverNow,
  serverTimeKnown,
} from "./render.js";
import { createStaff } from "./staff.js";

const $ = (id) => document.getElementById(id);

const app = $("room-app");
const log = $("log");
const compose = $("compose");
const ROOM = app.dataset.room;
const KIND = app.dataset.kind;
const FACILITATOR = app.dataset.facilitator || "";
const DEVICE_KEY = "peer-rooms:device";
const MEMBER_KEY = `peer-rooms:member:${ROOM}`;
const ACK_TIMEOUT_MS = 10_000;
const MAX_LOG = 500; // keep long nights fast on old phones
const UNAVAILABLE_RETRIES = 5;
const SHARE_WARNING_S = 30;
const PAGE_TITLE = document.title;

// ---- storage (may be unavailable: private windows, strict settings) --------

function storageGet(storage, key) {
  try { return window[storage].getItem(key); } catch { return null; }
}
function storageSet(storage, key, value) {
  try { window[storage].setItem(key, value); } catch { /* keep going without it */ }
}
function storageRemove(storage, key) {
  try { window[storage].removeItem(key); } catch { /* nothing to remove */ }
}

function loadSession() {
  try {
    const saved = JSON.parse(storageGet("sessionStorage", MEMBER_KEY) || "null");
    return saved && saved.member_token && saved.member ? saved : null;
  } catch {
    return null;
  }
}

function uuid() {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  // randomUUID needs a secure context; getRandomValues does not.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// ---- state -------------------------------------------------------------

const state = {
  stage: "out", // out | joining | lobby | in | ended
  me: null, // {id, handle, role}
  memberToken: null,
  handle: "",
  lastSeq: 0,
  members: new Map(), // id -> member
  memberCount: 0,
  messages: new Map(), // id -> {msg, li}
  room: null, // last room_state
  disconnected: false,
  wantJoin: false, // Join pressed before the socket connected
  pendingSend: null, // {text, clientId, attempts, timer}
  waitUntil: 0, // rate limit / slow mode
  waitCode: null,
  waitTimer: null,
  mutedUntil: null,
  muteTimer: null,
  shareTimer: null,
  shareKey: null, // member_id|ends_at of the share on screen
  shareWarned: false, // the 30-second announcement was made for this share
  waitingId: null, // our place in the lobby
  startsAt: null, // the meeting's scheduled start (for the lobby), ISO UTC
  reportTarget: null,
  blocked: false, // removed or banned: no automatic re-join
};

const saved = loadSession();
if (saved) {
  state.me = saved.member;
  state.memberToken = saved.member_token;
  state.lastSeq = Number(saved.last_seq) || 0;
  state.handle = saved.handle || saved.member.handle;
}

function saveSession() {
  if (!state.me || !state.memberToken) return;
  storageSet("sessionStorage", MEMBER_KEY, JSON.stringify({
    member: state.me, member_token: state.memberToken, last_seq: state.lastSeq, handle: state.handle,
  }));
}

function clearSession() {
  storageRemove("sessionStorage", MEMBER_KEY);
  state.memberToken = null;
}

const isStaff = () => Boolean(state.me && isStaffRole(state.me.role));

// ---- notices -------------------------------------------------------------

// Clearing first makes screen readers announce a repeated message again.
function setLive(node, text) {
  node.textContent = "";
  if (text) window.setTimeout(() => { node.textContent = text; }, 30);
}

// Status notes fade after a while so an old one is never mistaken for news; errors
// stay until the person does something else.
let noticeTimer = null;
function announce(text) {
  setLive($("notice"), text);
  window.clearTimeout(noticeTimer);
  noticeTimer = window.setTimeout(() => {
    if ($("notice").textContent === text) $("notice").textContent = "";
  }, 15_000);
}
function clearError() { $("error").textContent = ""; }

function showError(error) {
  const message = (error && error.message) || "Something went wrong. Please try again.";
  setLive($("error"), message);
}

function setConnection(text) {
  const node = $("connection");
  node.textContent = text;
  node.hidden = !text;
}

// ---- connection ------------------------------------------------------------

const socket = window.io({
  auth: { device: storageGet("localStorage", DEVICE_KEY) || null },
  transports: ["websocket", "polling"],
  tryAllTransports: true,
});

/**
 * Emit with an acknowledgement and a timeout. Always resolves to the protocol's
 * answer shape, so callers handle one thing.
 */
async function call(event, payload, { quiet = false } = {}) {
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

// ---- views -------------------------------------------------------------------

function showStage(stage) {
  state.stage = stage;
  $("join-section").hidden = !(stage === "out" || stage === "joining" || stage === "ended");
  $("lobby-section").hidden = stage !== "lobby";
  $("chat-section").hidden = stage !== "in";
  $("pinned").hidden = !state.room?.pinned || stage === "lobby";
  if (stage !== "lobby") state.waitingId = null;
  staff.show(stage === "in" && isStaff());
  $("join-button").disabled = stage === "joining" || state.blocked;
  $("handle").disabled = state.blocked;
}

function endMembership(message, { blocked = false, isError = false } = {}) {
  state.blocked = blocked;
  clearSession();
  state.me = null;
  state.members.clear();
  clearShare();
  clearPendingSend();
  closeReport();
  // Removed or banned: the alert says why, and the join form stays visible but off.
  $("join-explain").hidden = blocked;
  showStage("ended");
  if (isError) showError({ message }); else announce(message);
  if (!blocked) $("handle").focus();
}

// ---- joining ---------------------------------------------------------------------

const JOIN_FALLBACK = {
  closed: "This meeting isn't open right now.",
  locked: "This room is locked right now. Please try again a little later.",
  paused: "This room is paused for a moment. Please try again shortly.",
  banned: "You can't join this room.",
  handle_taken: "Someone here already uses that name, or one that looks like it. Please pick another.",
  handle_invalid: "That name can't be used. Please use 2 to 32 letters, numbers or spaces.",
  full: "This room is full right now.",
};

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
    state.messages.clear();
    log.replaceChildren();
    state.lastSeq = 0;
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

function onJoined(answer, { resumed }) {
  const wasIn = state.stage === "in";
  state.me = answer.member;
  state.memberToken = answer.member_token;
  state.handle = answer.member?.handle || state.handle;
  state.blocked = false;
  $("open-room-button").hidden = true;

  const roomSeq = Number(answer.seq) || 0;
  if (resumed && roomSeq < state.lastSeq) {
    // The room's history started again (a single server restarted with no shared
    // store): keep what is on screen above, in its order, and count afresh below it.
    const items = [...log.children];
    items.forEach((li, i) => { li.dataset.seq = String(i - items.length); });
    state.lastSeq = 0;
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

  if (resumed && wasIn) {
    const missed = (answer.missed || []).length;
    if (missed) announce(missed === 1 ? "1 message arrived while you were away." : `${missed} messages arrived while you were away.`);
  } else {
    announce(`You're in the room as ${state.me.handle}.`);
    $("compose").focus();
  }
  // Something typed while the connection was down goes out now, with the same client_id.
  if (state.pendingSend && $("compose").value === state.pendingSend.text && state.pendingSend.onReconnect) {
    send();
  }
}

socket.on("admitted", (data) => {
  if (data && data.room === ROOM && state.stage === "lobby") announce("You're being let in…");
});

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

async function leave() {
  const stage = state.stage;
  await call("leave", { room: ROOM }, { quiet: true });
  state.blocked = false;
  endMembership(stage === "lobby" ? "You left the waiting room." : "You left the room. Take care of yourself.");
}
$("leave-button").addEventListener("click", leave);
$("lobby-leave-button").addEventListener("click", leave);

// ---- messages ---------------------------------------------------------------

function nearBottom() {
  return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
}

function scrollToLatest() {
  log.scrollTop = log.scrollHeight;
  $("jump-latest").hidden = true;
}

function permissionsFor(msg) {
  const own = Boolean(state.me && msg.member && msg.member.id === state.me.id);
  return { own, canDelete: isStaff(), canReport: Boolean(state.me) && !own && !isStaff() };
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

// ---- report -------------------------------------------------------------------

function openReport(id) {
  const entry = state.messages.get(id);
  if (!entry) return;
  state.reportTarget = id;
  const text = String(entry.msg.text ?? "");
  $("report-quote").textContent = `From ${entry.msg.member?.handle || "someone"}: “${text.length > 140 ? `${text.slice(0, 140)}…` : text}”`;
  $("report-detail").value = "";
  $("report-form").hidden = false;
  $("report-reason").focus();
}

function closeReport() {
  const id = state.reportTarget;
  state.reportTarget = null;
  $("report-form").hidden = true;
  return id;
}

$("report-cancel").addEventListener("click", () => {
  const id = closeReport();
  state.messages.get(id)?.li.querySelector('[data-action="report"]')?.focus();
});

$("report-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const id = state.reportTarget;
  if (!id) return;
  const detail = $("report-detail").value.trim();
  const reason = $("report-reason").value + (detail ? `: ${detail}` : "");
  const answer = await call("report", { room: ROOM, message_id: id, reason });
  if (answer.ok) {
    closeReport();
    announce("Thank you. The facilitators have been told.");
    $("compose").focus();
  } else {
    showError(answer.error);
  }
});

// ---- sending -----------------------------------------------------------------

function clearPendingSend() {
  if (state.pendingSend) window.clearTimeout(state.pendingSend.timer);
  state.pendingSend = null;
}

function updateSendButton() {
  const waiting = Date.now() < state.waitUntil;
  const muted = state.mutedUntil !== null;
  $("send-button").disabled = waiting || muted;
}

function updateCount() {
  const left = 2000 - compose.value.length;
  $("compose-count").textContent = left <= 200 ? `${left} characters left.` : "";
}

function endWait({ quiet = false } = {}) {
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

// ---- members ------------------------------------------------------------------

function handRaised(id) {
  return Boolean(state.room && Array.isArray(state.room.queue) && state.room.queue.includes(id));
}

function renderMembers() {
  for (const member of state.members.values()) knownHandles.set(member.id, member.handle);
  const list = $("members");
  const open = new Set([...list.querySelectorAll("details[open]")].map((d) => d.closest("li").dataset.memberId));
  const sorted = [...state.members.values()].sort((a, b) =>
    Number(isStaffRole(b.role)) - Number(isStaffRole(a.role)) || a.handle.localeCompare(b.handle));
  const sharing = state.room?.share?.member_id || null;
  const canCall = isStaff() && KIND === "meeting" && state.room?.status === "open";
  list.replaceChildren(...sorted.map((member) => {
    const li = memberElement(member, {
      me: state.me, viewerIsStaff: isStaff(), handRaised: handRaised(member.id),
      sharing: member.id === sharing, canCall: canCall && !isStaffRole(member.role),
    });
    const details = li.querySelector("details");
    if (details && open.has(member.id)) details.open = true;
    return li;
  }));
  const count = Math.max(state.memberCount, state.members.size);
  $("member-count").textContent = `(${count})`;
}

$("members").addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  const li = button && button.closest("[data-member-id]");
  if (li) staff.memberAction(li, button.dataset.action);
});

socket.on("presence", (data) => {
  if (!data || data.room !== ROOM || state.stage !== "in") return;
  if (data.joined) {
    state.members.set(data.joined.id, data.joined);
    if (state.me && data.joined.id === state.me.id) {
      // A role change (promotion) arrives as our own presence.
      const becameStaff = !isStaff() && isStaffRole(data.joined.role);
      state.me = data.joined;
      saveSession();
      refreshMessageActions();
      staff.show(isStaff());
      if (becameStaff) announce("You are now a co-facilitator of this room.");
    }
  }
  if (data.left) state.members.delete(data.left);
  if (typeof data.count === "number") state.memberCount = data.count;
  else state.memberCount = state.members.size;
  renderMembers();
});

// Handles seen on this page, kept after people leave so the audit log and alerts
// can still name them. Only in memory: gone when the page closes.
const knownHandles = new Map();

function memberHandle(id) {
  return state.members.get(id)?.handle || knownHandles.get(id) || null;
}

// ---- room state, queue, share ---------------------------------------------------

const STATUS_TEXT = { open: "Open", lobby: "Doors open", closed: "Closed" };

function stopShareTimer() {
  window.clearInterval(state.shareTimer);
  state.shareTimer = null;
}

function clearShare() {
  stopShareTimer();
  state.shareKey = null;
  state.shareWarned = false;
  $("share-panel").hidden = true;
  $("share-who").textContent = "";
  $("share-timer").textContent = "";
  document.title = PAGE_TITLE;
}

/**
 * "Now sharing: River" and a countdown to share.ends_at. The timer is text (a
 * gentle "time to wrap up" in the last 30 seconds, not only a colour); the start
 * and the 30-second mark are announced once each.
 */
function renderShare(share) {
  if (!share || typeof share.member_id !== "string") {
    if (state.shareKey && state.stage === "in") {
      const [id] = state.shareKey.split("|");
      const handle = memberHandle(id);
      if (state.me && id === state.me.id) announce("Your share has ended. Thank you for sharing.");
      else announce(handle ? `${handle}'s share has ended.` : "The share has ended.");
    }
    clearShare();
    return;
  }
  const key = `${share.member_id}|${share.ends_at}`;
  const fresh = key !== state.shareKey;
  const mine = Boolean(state.me && share.member_id === state.me.id);
  const who = memberHandle(share.member_id) || "Someone";
  const panel = $("share-panel");
  const timer = $("share-timer");
  $("share-who").textContent = mine ? "It's your turn to share" : `Now sharing: ${who}`;
  $("share-mine").hidden = !mine;
  panel.classList.toggle("share-is-mine", mine);
  panel.hidden = false;
  document.title = mine ? `Your turn to share · ${PAGE_TITLE}` : PAGE_TITLE;
  if (!fresh) return; // the same share: its timer is already running
  stopShareTimer();
  state.shareKey = key;
  state.shareWarned = false;
  const ends = Date.parse(share.ends_at);
  let first = true;
  const tick = () => {
    const left = (ends - serverNow()) / 1000;
    // A share lasts 15 s to 60 min. A local clock that puts it far outside that is
    // wrong (until a server timestamp corrects it): show the end time, which is right.
    const trusted = Number.isFinite(left) && (serverTimeKnown() || (left > -60 && left < 3660));
    const ending = trusted && left <= SHARE_WARNING_S;
    panel.classList.toggle("share-ending", ending);
    if (!Number.isFinite(ends)) timer.textContent = "";
    else if (!trusted) timer.textContent = `Until ${formatTime(share.ends_at)}`;
    else if (left <= 0) timer.textContent = "Time is up";
    else if (ending) timer.textContent = `${formatClock(left)} left · time to wrap up`;
    else timer.textContent = `${formatClock(left)} left`;
    if (ending && !state.shareWarned) {
      state.shareWarned = true;
      // Joining in the last seconds of a share: the start announcement says enough.
      if (!first && left > 0 && state.stage === "in") {
        announce(mine ? "30 seconds left in your share." : `30 seconds left in ${who}'s share.`);
      }
    }
    first = false;
  };
  tick();
  if (Number.isFinite(ends)) state.shareTimer = window.setInterval(tick, 1000);
  if (state.stage === "in") {
    announce(mine ? "It's your turn to share. Take your time." : `${who} is sharing now.`);
  }
}

function renderQueue(queue) {
  const ids = Array.isArray(queue) ? queue : [];
  $("queue").replaceChildren(...ids.map((id) => {
    const mine = state.me && id === state.me.id;
    const handle = memberHandle(id) || "Someone";
    return el("li", { dataset: { memberId: id }, className: mine ? "queue-me" : "" },
      handle, mine ? " (you)" : "",
      isStaff() && KIND === "meeting" ? el("button", { type: "button", className: "button-quiet queue-call", on: { click: () => staff.callToShare(id) } },
        "Call", el("span", { className: "visually-hidden" }, ` ${handle} to share`)) : null);
  }));
  $("queue-empty").hidden = ids.length > 0;
  const raised = Boolean(state.me && ids.includes(state.me.id));
  const hand = $("hand-button");
  hand.setAttribute("aria-pressed", String(raised));
  hand.textContent = raised ? "Lower hand" : "Raise hand to share";
}

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

$("hand-button").addEventListener("click", async () => {
  if (!state.me) return;
  const raise = !handRaised(state.me.id);
  const answer = await call("hand", { room: ROOM, raised: raise });
  if (answer.ok) {
    state.room = { ...(state.room || {}), queue: answer.queue || [] };
    renderQueue(state.room.queue);
    renderMembers();
    announce(raise ? "Your hand is raised. The facilitator will call on you." : "Your hand is lowered.");
  } else {
    showError(answer.error);
  }
});

// ---- moderation of this member ------------------------------------------------

function setMuted(until) {
  window.clearTimeout(state.muteTimer);
  state.mutedUntil = until;
  const banner = $("mute-banner");
  if (until === null) {
    banner.hidden = true;
    banner.textContent = "";
  } else {
    banner.hidden = false;
    banner.textContent = until
      ? `A facilitator has muted you until ${formatWhen(until)}. You can still read along.`
      : "A facilitator has muted you until they unmute you. You can still read along.";
    const ms = until ? Date.parse(until) - Date.now() : NaN;
    if (Number.isFinite(ms)) {
      state.muteTimer = window.setTimeout(() => { setMuted(null); announce("You can send messages again."); }, Math.max(0, ms) + 500);
    }
  }
  updateSendButton();
}

socket.on("moderated", (data) => {
  if (!data || data.room !== ROOM) return;
  switch (data.action) {
    case "muted":
      setMuted(data.until || "");
      announce($("mute-banner").textContent);
      break;
    case "unmuted":
      setMuted(null);
      announce("A facilitator has unmuted you. You can send messages again.");
      break;
    case "removed":
      endMembership("A facilitator has removed you from this room. If you need support, the services below are there any time.", { blocked: true, isError: true });
      break;
    case "banned":
      endMembership(data.until
        ? `You can't join this room until ${formatWhen(data.until)}. If you need support, the services below are there any time.`
        : "You can't join this room any more. If you need support, the services below are there any time.",
      { blocked: true, isError: true });
      break;
    default:
      break;
  }
});

// ---- support (crisis resources, just for this person) ------------------------

socket.on("support", (data) => {
  if (!data || data.room !== ROOM) return;
  const resources = Array.isArray(data.resources) ? data.resources : [];
  $("support-resources").replaceChildren(...resources.map(resourceElement));
  $("support-panel").hidden = false;
  // Not moving focus: the person may be mid-sentence. Tell them where it is.
  announce("We've shown some people you can reach right now, just above the message box.");
});

$("support-close").addEventListener("click", () => {
  $("support-panel").hidden = true;
  compose.focus();
});

// ---- staff --------------------------------------------------------------------

const staff = createStaff({
  kind: KIND,
  async mod(action, fields, { quiet = false } = {}) {
    const answer = await call("mod", { room: ROOM, action, ...fields }, { quiet });
    if (!answer.ok && !quiet) showError(answer.error);
    return answer;
  },
  announce,
  memberHandle,
  focusMessage(id) {
    const entry = state.messages.get(id);
    if (!entry) return false;
    entry.li.tabIndex = -1;
    entry.li.classList.add("msg-flagged");
    entry.li.focus();
    entry.li.scrollIntoView({ block: "center" });
    return true;
  },
});

socket.on("alert", (data) => { if (data && data.room === ROOM && isStaff()) staff.onAlert(data); });
socket.on("held", (data) => { if (data && data.room === ROOM && isStaff()) staff.onHeld(data); });
// Sent only to staff, and the first one comes right after a facilitator's join, before
// the join's answer: rendered even before this page knows it is staff (the panel stays
// hidden until then).
socket.on("lobby", (data) => { if (data && data.room === ROOM) staff.onLobby(data); });

// ---- start ------------------------------------------------------------------------

if (state.handle && !FACILITATOR) $("handle").value = state.handle;
updateCount();
showStage(state.memberToken ? "joining" : "out");
if (state.memberToken) announce("Rejoining…");
if (!socket.connected) setConnection(socket.active ? "Connecting…" : "");
