// The schedule page: meeting times in the viewer's own time zone, and a gentle
// countdown. The server renders UTC as a fallback; this only rewrites text.

// The page's words are English, so dates are spelled in English too; the clock
// (12- or 24-hour) follows the viewer's own locale.
const LOCALE = /^en\b/i.test(navigator.language || "") ? navigator.language : "en";
const hour12 = new Intl.DateTimeFormat(undefined, { hour: "numeric" }).resolvedOptions().hour12;
const dayFormat = new Intl.DateTimeFormat(LOCALE, { weekday: "long", month: "short", day: "numeric" });
const timeFormat = new Intl.DateTimeFormat(LOCALE, { hour: "numeric", minute: "2-digit", hour12 });
const relative = typeof Intl.RelativeTimeFormat === "function"
  ? new Intl.RelativeTimeFormat(LOCALE, { numeric: "auto" })
  : null;

function startOfDay(date) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate());
}

/** "Today at 7:00 PM", "Tomorrow at 7:00 PM", "Thursday, Nov 26 at 7:00 PM". */
function localLabel(date, now) {
  const days = Math.round((startOfDay(date) - startOfDay(now)) / 86400_000);
  const time = timeFormat.format(date);
  if (days === 0) return `Today at ${time}`;
  if (days === 1) return `Tomorrow at ${time}`;
  if (days === -1) return `Yesterday at ${time}`;
  return `${dayFormat.format(date)} at ${time}`;
}

/** "in 2 hours", "in 25 minutes", "started 10 minutes ago". */
function countdown(date, now) {
  const minutes = Math.round((date - now) / 60_000);
  if (Math.abs(minutes) < 1) return "starting now";
  const describe = (value, unit) => {
    if (relative) return relative.format(value, unit);
    const n = Math.abs(value);
    const amount = `${n} ${unit}${n === 1 ? "" : "s"}`;
    return value > 0 ? `in ${amount}` : `${amount} ago`;
  };
  const phrase = Math.abs(minutes) < 60
    ? describe(minutes, "minute")
    : Math.abs(minutes) < 48 * 60
      ? describe(Math.round(minutes / 60), "hour")
      : describe(Math.round(minutes / 1440), "day");
  return minutes > 0 ? phrase : `started ${phrase}`;
}

function render() {
  const now = new Date();
  for (const node of document.querySelectorAll("time.local-time[datetime]")) {
    const date = new Date(node.getAttribute("datetime"));
    if (Number.isNaN(date.getTime())) continue;
    node.textContent = localLabel(date, now);
    node.title = date.toString();
  }
  for (const node of document.querySelectorAll("[data-countdown]")) {
    const date = new Date(node.dataset.countdown);
    if (Number.isNaN(date.getTime())) continue;
    node.textContent = `(${countdown(date, now)})`;
    node.hidden = false;
  }
}

function showZone() {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const node = document.getElementById("viewer-zone");
  if (zone && node) {
    node.textContent = ` (${zone.replace(/_/g, " ")})`;
    node.hidden = false;
  }
}

showZone();
render();
// Minutes are the finest unit shown: refresh twice a minute, and not while hidden.
let timer = window.setInterval(render, 30_000);
document.addEventListener("visibilitychange", () => {
  window.clearInterval(timer);
  if (!document.hidden) {
    render();
    timer = window.setInterval(render, 30_000);
  }
});
