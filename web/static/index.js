// The schedule page: the server's meeting cards (UTC) regrouped into "Today" and
// "This week" by the viewer's own day, with local times and a status badge per card:
// "Open now" / "Doors open" from the rooms' live status, else "Starts in 2 h 5 min".
// Refreshed every 30 s (and not while the tab is hidden). Text only: no HTML parsing.

// The page's words are English, so dates are spelled in English too; the clock
// (12- or 24-hour) follows the viewer's own locale.
const LOCALE = /^en\b/i.test(navigator.language || "") ? navigator.language : "en";
const hour12 = new Intl.DateTimeFormat(undefined, { hour: "numeric" }).resolvedOptions().hour12;
const dayFormat = new Intl.DateTimeFormat(LOCALE, { weekday: "long", month: "short", day: "numeric" });
const timeFormat = new Intl.DateTimeFormat(LOCALE, { hour: "numeric", minute: "2-digit", hour12 });
const fullFormat = new Intl.DateTimeFormat(LOCALE, { dateStyle: "full", timeStyle: "short", hour12 });
const REFRESH_MS = 30_000;

const $ = (id) => document.getElementById(id);
const cards = [...document.querySelectorAll("li.meeting-card")];
const status = new Map(); // room id -> {status, members, title}

for (const card of cards) {
  status.set(card.dataset.roomId, { status: card.dataset.roomStatus || "closed" });
}

function parse(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

function dayKey(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.append(...children);
  return node;
}

// ---- local times and grouping -------------------------------------------------

function showZone() {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  $("schedule-zone").textContent = zone
    ? `Meeting times are in your time zone (${zone.replace(/_/g, " ")}).`
    : "Meeting times are in your time zone.";
}

function localTimes() {
  for (const card of cards) {
    for (const node of card.querySelectorAll("time[datetime]")) {
      const date = parse(node.getAttribute("datetime"));
      if (!date) continue;
      node.textContent = timeFormat.format(date);
      node.title = fullFormat.format(date);
    }
    const zone = card.querySelector(".meeting-zone");
    if (zone) zone.hidden = true; // the zone is named once, above the schedule
  }
}

function dayTitle(date, today) {
  const tomorrow = new Date(today.getFullYear(), today.getMonth(), today.getDate() + 1);
  const label = dayFormat.format(date);
  return dayKey(date) === dayKey(tomorrow) ? `Tomorrow, ${label}` : label;
}

let laidOutFor = "";

/** Today: everything starting on the viewer's today or earlier (a meeting still on). */
function layout(now) {
  const today = dayKey(now);
  if (today === laidOutFor) return; // regroup only when the day changes (keeps focus)
  laidOutFor = today;
  const todays = [];
  const later = new Map();
  for (const card of cards) {
    const start = parse(card.dataset.startsAt);
    const key = start ? dayKey(start) : today;
    if (key <= today) todays.push(card);
    else {
      if (!later.has(key)) later.set(key, { date: start, cards: [] });
      later.get(key).cards.push(card);
    }
  }
  $("today-meetings").replaceChildren(...todays);
  $("today-empty").hidden = todays.length > 0;
  $("today-section").hidden = false;
  $("week-days").replaceChildren(...[...later.entries()].map(([key, group]) => {
    const heading = el("h3", "day-heading", dayTitle(group.date, now));
    heading.id = `day-${key}`;
    const section = el("section", "meeting-day", heading, el("ul", "room-list", ...group.cards));
    section.setAttribute("aria-labelledby", heading.id);
    return section;
  }));
  $("week-empty").hidden = later.size > 0;
}

// ---- badges ---------------------------------------------------------------------

/** "Starts in 45 min", "Starts in 2 h 5 min", "Starts in 1 day 3 h". */
function startsIn(ms) {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  if (minutes < 60) return `Starts in ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours < 24) return rest ? `Starts in ${hours} h ${rest} min` : `Starts in ${hours} h`;
  const days = Math.floor(hours / 24);
  const h = hours % 24;
  return `Starts in ${days} ${days === 1 ? "day" : "days"}${h ? ` ${h} h` : ""}`;
}

function memberCount(n) {
  return el("span", "room-members", n === 1 ? "1 person here" : `${n} people here`);
}

function badges(now) {
  // A room's live status belongs to its first card (the server lists a meeting that is
  // on now first). The server's status wins over this device's clock, which may be off;
  // the clock only says a closed room's card is over.
  const current = new Set();
  for (const card of cards) {
    const id = card.dataset.roomId;
    const start = parse(card.dataset.startsAt);
    const end = parse(card.dataset.endsAt);
    const live = status.get(id) || { status: "closed" };
    const running = live.status === "open" || live.status === "lobby";
    const over = Boolean(end && now >= end) && !(running && !current.has(id));
    const isCurrent = !over && !current.has(id);
    if (isCurrent) current.add(id);
    let text;
    let kind = "";
    if (isCurrent && live.status === "open") [text, kind] = ["Open now", "badge-open"];
    else if (isCurrent && live.status === "lobby") [text, kind] = ["Doors open", "badge-lobby"];
    else if (start && now < start) [text, kind] = [startsIn(start - now), "badge-soon"];
    else if (over) [text, kind] = ["Ended", "badge-closed"];
    else [text, kind] = ["Closed", "badge-closed"];
    const badge = card.querySelector(".meeting-badge");
    badge.textContent = text;
    badge.className = `badge meeting-badge ${kind}`;
    badge.hidden = false;
    card.classList.toggle("meeting-past", Boolean(over));
    const meta = card.querySelector(".room-meta");
    const count = meta.querySelector(".room-members");
    const showCount = isCurrent && live.status === "open" && typeof live.members === "number";
    if (showCount) {
      const fresh = memberCount(live.members);
      if (count) count.replaceWith(fresh); else meta.append(" ", fresh);
    } else if (count && typeof live.members === "number") {
      count.remove();
    }
  }
}

// Drop-in and unscheduled meeting cards: the same badge and count as the server renders.
function roomCards(rooms) {
  for (const card of document.querySelectorAll("li.room-card:not(.meeting-card)[data-room-id]")) {
    const room = rooms.get(card.dataset.roomId);
    if (!room) continue;
    const [text, kind] = room.status === "open" ? ["Open now", "badge-open"]
      : room.status === "lobby" ? ["Doors open", "badge-lobby"] : ["Closed", "badge-closed"];
    const meta = card.querySelector(".room-meta");
    meta.replaceChildren(el("span", `badge ${kind}`, text));
    if (room.status !== "closed" && typeof room.members === "number") meta.append(" ", memberCount(room.members));
  }
}

// ---- refresh ----------------------------------------------------------------------

function announceChanges(before, rooms) {
  const news = [];
  for (const [id, room] of rooms) {
    const was = before.get(id)?.status;
    if (!was || was === room.status || room.kind !== "meeting") continue;
    if (room.status === "open") news.push(`${room.title} is open now.`);
    else if (room.status === "lobby") news.push(`${room.title}: doors are open.`);
  }
  if (news.length) $("schedule-live").textContent = news.join(" ");
}

async function refresh() {
  try {
    const response = await fetch("/api/rooms", { headers: { Accept: "application/json" }, cache: "no-store" });
    if (!response.ok) return;
    const list = await response.json();
    if (!Array.isArray(list)) return;
    const rooms = new Map(list.filter((r) => r && typeof r.id === "string").map((r) => [r.id, r]));
    const before = new Map(status);
    for (const [id, room] of rooms) status.set(id, room);
    roomCards(rooms);
    announceChanges(before, rooms);
  } catch {
    // Offline for a moment: the badges keep counting from what was known.
  }
}

function render() {
  const now = new Date();
  layout(now);
  badges(now);
}

showZone();
localTimes();
render();

let timer = null;
function start() {
  window.clearInterval(timer);
  timer = window.setInterval(async () => { await refresh(); render(); }, REFRESH_MS);
}
start();
document.addEventListener("visibilitychange", async () => {
  window.clearInterval(timer);
  if (!document.hidden) {
    render();
    start();
    await refresh();
    render();
  }
});
