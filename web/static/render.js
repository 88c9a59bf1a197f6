// DOM building for the room page.
//
// Everything a person or the server wrote reaches the page through textContent or
// createElement only: message text is plain text (DESIGN §2), and the CSP forbids
// inline script, so there is no HTML parsing of untrusted strings anywhere.

const STAFF_ROLES = new Set(["facilitator", "host"]);

export function isStaffRole(role) {
  return STAFF_ROLES.has(role);
}

export function roleLabel(role) {
  if (role === "host") return "Host";
  if (role === "facilitator") return "Facilitator";
  return "";
}

/**
 * createElement with properties. `text` sets textContent, `className`, `dataset`,
 * `hidden` and `on` (event listeners) are handled; anything else is an attribute.
 * Inline handlers and style attributes are refused: the CSP would block them anyway.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "className") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "hidden") node.hidden = Boolean(value);
    else if (key === "on") {
      for (const [type, fn] of Object.entries(value)) node.addEventListener(type, fn);
    } else if (/^on/i.test(key) || key === "style") {
      throw new Error(`el(): refusing attribute ${key}`);
    } else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child); // strings become text nodes
  }
  return node;
}

/** Only links a person can safely follow: web pages, phone and text-message links. */
export function safeUrl(url) {
  if (typeof url !== "string" || url === "") return null;
  try {
    const parsed = new URL(url, window.location.href);
    return ["http:", "https:", "tel:", "sms:", "mailto:"].includes(parsed.protocol)
      ? parsed.href
      : null;
  } catch {
    return null;
  }
}

// ---- time ---------------------------------------------------------------

// English words (the page is English), the viewer's own 12- or 24-hour clock.
const LOCALE = /^en\b/i.test(navigator.language || "") ? navigator.language : "en";
const hour12 = new Intl.DateTimeFormat(undefined, { hour: "numeric" }).resolvedOptions().hour12;
const timeFormat = new Intl.DateTimeFormat(LOCALE, { hour: "numeric", minute: "2-digit", hour12 });
const dayTimeFormat = new Intl.DateTimeFormat(LOCALE, {
  weekday: "short", hour: "numeric", minute: "2-digit", hour12,
});
const fullFormat = new Intl.DateTimeFormat(LOCALE, {
  year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", hour12,
});

// ---- the server's clock --------------------------------------------------
//
// Share timers count down to the server's `ends_at`. A phone's clock can be minutes
// off, so the page keeps an estimate of (server time - local time) from server
// timestamps it sees as they happen (a live message's `ts`, or a `now` in room_state
// if the server sends one). Until it has one, the local clock is used.

let serverOffsetMs = 0;
let serverOffsetKnown = false;
let sampledAt = 0;
const SAMPLE_TTL_MS = 5 * 60_000;

/**
 * A server timestamp stamped just before we received it. Each one is a lower bound on
 * the offset (the server's clock had at least that reading), so the highest recent one
 * wins: an approved held message, stamped minutes earlier, can't pull the clock back.
 * A bound expires after a while so that a clock corrected on either side is followed.
 */
export function noteServerTime(iso, receivedAt = Date.now()) {
  const at = Date.parse(iso);
  if (!Number.isFinite(at)) return;
  const offset = at - receivedAt;
  const stale = receivedAt - sampledAt > SAMPLE_TTL_MS;
  // 250 ms: network jitter shouldn't make a countdown stutter.
  if (!serverOffsetKnown || stale || offset > serverOffsetMs + 250) {
    serverOffsetMs = offset;
    sampledAt = receivedAt;
  }
  serverOffsetKnown = true;
}

export function serverNow() {
  return Date.now() + serverOffsetMs;
}

export function serverTimeKnown() {
  return serverOffsetKnown;
}

function parseTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "9:41 PM" today, "Tue 9:41 PM" within the week, a full date beyond. */
export function formatWhen(iso) {
  const date = parseTime(iso);
  if (!date) return "";
  const now = new Date();
  if (date.toDateString() === now.toDateString()) return timeFormat.format(date);
  if (Math.abs(date - now) < 6 * 86400_000) return dayTimeFormat.format(date);
  return fullFormat.format(date);
}

export function formatFull(iso) {
  const date = parseTime(iso);
  return date ? fullFormat.format(date) : "";
}

/** "2:05" for a share timer. */
export function formatClock(seconds) {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export function formatSeconds(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return s === 1 ? "1 second" : `${s} seconds`;
  const m = Math.round(s / 60);
  return m === 1 ? "1 minute" : `${m} minutes`;
}

/** "7:00 PM" (the viewer's clock), or "" for a bad time. */
export function formatTime(iso) {
  const date = parseTime(iso);
  return date ? timeFormat.format(date) : "";
}

/** A phase name from config as words: "shares" → "Shares", "open-share" → "Open share". */
export function phaseLabel(name) {
  const words = String(name ?? "").replace(/[-_]+/g, " ").trim();
  return words ? words[0].toUpperCase() + words.slice(1) : "";
}

export function timeElement(iso, className) {
  return el("time", { className, datetime: iso, title: formatFull(iso) }, formatWhen(iso));
}

// ---- messages -----------------------------------------------------------

/**
 * One chat message. The caller passes what the viewer may do so the same function
 * serves members and staff: {own, canDelete, canReport}.
 */
export function messageElement(msg, { own, canDelete, canReport }) {
  const member = msg.member || {};
  const classes = ["msg"];
  if (own) classes.push("msg-own");
  if (isStaffRole(member.role)) classes.push("msg-staff");
  const head = el("div", { className: "msg-head" },
    el("span", { className: "msg-handle" }, member.handle || "Someone"),
    isStaffRole(member.role)
      ? el("span", { className: "badge badge-role" }, roleLabel(member.role))
      : null,
    " ",
    timeElement(msg.ts, "msg-time"),
  );
  const text = el("p", { className: "msg-text" }, String(msg.text ?? ""));
  const li = el("article", {
    className: classes.join(" "),
    dataset: { messageId: msg.id, seq: String(msg.seq), memberId: member.id || "" },
  }, head, text);
  li.append(messageActions({ canDelete, canReport }));
  return li;
}

export function messageActions({ canDelete, canReport }) {
  const actions = el("div", { className: "msg-actions" });
  if (canReport) {
    actions.append(el("button", { type: "button", className: "msg-action", dataset: { action: "report" } }, "Report"));
  }
  if (canDelete) {
    actions.append(el("button", { type: "button", className: "msg-action msg-action-danger", dataset: { action: "delete" } }, "Delete"));
  }
  actions.hidden = !canReport && !canDelete;
  return actions;
}

// ---- members ------------------------------------------------------------

function option(value, label, selected = false) {
  return el("option", { value, selected }, label);
}

/** Per-member controls for staff, inside a native disclosure (keyboard-ready). */
function memberControls(member) {
  const minutes = el("select", { dataset: { field: "minutes" } },
    option("5", "5 minutes"), option("15", "15 minutes", true),
    option("60", "1 hour"), option("", "until unmuted"));
  const scope = el("select", { dataset: { field: "scope" } },
    option("room", "this room", true), option("all", "all rooms"));
  const days = el("select", { dataset: { field: "days" } },
    option("1", "1 day"), option("7", "7 days", true), option("30", "30 days"),
    option("", "no end date"));
  const button = (action, label, extra = "") =>
    el("button", { type: "button", className: extra, dataset: { action } }, label);
  return el("details", { className: "member-actions" },
    el("summary", {}, "Actions", el("span", { className: "visually-hidden" }, ` for ${member.handle}`)),
    el("div", { className: "member-action-body" },
      el("div", { className: "inline-controls" },
        el("label", {}, "Mute for ", minutes), button("mute", "Mute")),
      el("div", { className: "actions" },
        button("unmute", "Unmute"), button("remove", "Remove", "button-danger")),
      el("div", { className: "inline-controls" },
        el("label", {}, "Ban from ", scope), el("label", {}, "for ", days),
        button("ban", "Ban", "button-danger")),
      el("div", { className: "actions" },
        button("private", "Check in privately"), button("promote", "Make co-facilitator")),
    ),
  );
}

/**
 * One person in "Who is here". `canCall`: the viewer runs a meeting and may call this
 * person to share (a plain button beside the name: it is the action used most).
 */
export function memberElement(member, { me, viewerIsStaff, handRaised, sharing = false, canCall = false }) {
  const isMe = me && member.id === me.id;
  const li = el("li", { className: isMe ? "member member-me" : "member", dataset: { memberId: member.id } },
    el("span", { className: "member-name" }, member.handle),
    isStaffRole(member.role) ? el("span", { className: "badge badge-role" }, roleLabel(member.role)) : null,
    isMe ? el("span", { className: "member-you" }, "(you)") : null,
    sharing ? el("span", { className: "member-hand member-sharing" }, "sharing now") : null,
    handRaised && !sharing ? el("span", { className: "member-hand" }, "hand raised") : null,
  );
  if (canCall && !isMe && !sharing) {
    li.append(el("button", { type: "button", className: "member-call", dataset: { action: "call" } },
      "Call this person", el("span", { className: "visually-hidden" }, ` to share: ${member.handle}`)));
  }
  // Staff act on members, not on themselves or on other staff.
  if (viewerIsStaff && !isMe && !isStaffRole(member.role)) li.append(memberControls(member));
  return li;
}

// ---- resources ----------------------------------------------------------

export function resourceElement(resource) {
  const url = safeUrl(resource.url);
  const name = url
    // A new tab, so following the link doesn't end the person's place in the room.
    ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, resource.name || url,
      el("span", { className: "visually-hidden" }, " (opens in a new tab)"))
    : resource.name || "";
  return el("li", { className: "resource" },
    el("span", { className: "resource-name" }, name),
    resource.contact ? el("span", { className: "resource-contact" }, resource.contact) : null,
    resource.hours ? el("span", { className: "resource-hours" }, resource.hours) : null,
  );
}
