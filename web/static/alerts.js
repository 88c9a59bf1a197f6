// Alerts for staff (crisis words, reports, personal information): each stays listed
// until a facilitator handles it (dismisses it, or opens a private check-in from it).
// A crisis alert is announced assertively and quotes what was written (alert.text).
// A facilitator's join answer lists the room's recent alerts (`alerts`), so a reload or
// a late arrival still sees them; which ones this tab handled is kept in sessionStorage
// as alert ids only: what a member wrote never goes into browser storage.

import { el, timeElement } from "./render.js";
import { $, ROOM } from "./state.js";
import { storageGet, storageSet } from "./storage.js";

const ALERT_LABELS = {
  crisis: "Crisis words",
  report: "Report",
  pii: "Personal information",
};

const HANDLED_KEY = `peer-rooms:handled-alerts:${ROOM}`;
const HANDLED_KEPT = 200; // the server keeps at most its replay buffer's worth anyway

function loadHandled() {
  try {
    const ids = JSON.parse(storageGet("sessionStorage", HANDLED_KEY) || "[]");
    return new Set(Array.isArray(ids) ? ids.filter((id) => typeof id === "string") : []);
  } catch {
    return new Set();
  }
}

// Clearing first makes a screen reader announce a repeated alert again.
function urgent(text) {
  const node = $("alert-live");
  node.textContent = "";
  window.setTimeout(() => { node.textContent = text; }, 30);
}

/**
 * ctx: {announce(text)}, {memberHandle(id)}, {focusMessage(id) -> bool},
 * {openLine(memberId, {greet}) -> Promise<bool>} (private.js), {isHere(id) -> bool},
 * {onCountChanged(n)}.
 */
export function createAlerts(ctx) {
  const list = $("alerts");
  const handledIds = loadHandled();

  function refresh() {
    const n = list.children.length;
    $("alerts-empty").hidden = n > 0;
    $("alerts-count").textContent = n ? `(${n})` : "";
    ctx.onCountChanged(n);
  }

  function handled(li, note) {
    li.remove();
    refresh();
    if (note) ctx.announce(note);
    const id = li.dataset.alertId;
    if (!id) return;
    handledIds.delete(id);
    handledIds.add(id);
    if (handledIds.size > HANDLED_KEPT) handledIds.delete(handledIds.values().next().value);
    storageSet("sessionStorage", HANDLED_KEY, JSON.stringify([...handledIds].slice(-HANDLED_KEPT)));
  }

  const alreadyHere = (id) => [...list.children].some((li) => li.dataset.alertId === id);

  // Listed, not announced; false when it was handled here before or is already listed.
  function add(alert) {
    const id = typeof alert.id === "string" ? alert.id : "";
    if (id && (handledIds.has(id) || alreadyHere(id))) return false;
    const handle = ctx.memberHandle(alert.member_id) || "a member";
    const label = ALERT_LABELS[alert.kind] || "Alert";
    const li = el("li", { className: `staff-item alert alert-${alert.kind}`, dataset: { alertId: id, kind: alert.kind, memberId: alert.member_id || "", messageId: alert.message_id || "" } },
      el("span", { className: "staff-item-title" }, `${label}: ${handle}`),
      " ",
      timeElement(typeof alert.ts === "string" ? alert.ts : new Date().toISOString(), "muted"),
      // What was written, so staff can judge how urgent it is (staff-only event).
      typeof alert.text === "string" && alert.text
        ? el("blockquote", { className: "alert-quote" }, alert.text)
        : null,
      // Reports carry the reporter's reason (DESIGN leaves extra fields open).
      typeof alert.reason === "string" && alert.reason
        ? el("p", { className: "alert-reason" }, `Reason: ${alert.reason}`)
        : null);
    const actions = el("div", { className: "actions" });
    if (typeof alert.member_id === "string" && alert.member_id) {
      actions.append(el("button", { type: "button", className: alert.kind === "crisis" ? "button-primary" : "", on: { click: async () => {
        if (!ctx.isHere(alert.member_id)) {
          ctx.announce(`${handle} is no longer in the room.`);
          return;
        }
        if (await ctx.openLine(alert.member_id, { greet: true })) {
          handled(li, `Private check-in with ${handle} started. Every facilitator here can see it.`);
        }
      } } }, "Check in privately", el("span", { className: "visually-hidden" }, ` with ${handle}`)));
    }
    if (alert.message_id) {
      actions.append(el("button", { type: "button", on: { click: () => {
        if (!ctx.focusMessage(alert.message_id)) ctx.announce("That message is no longer shown.");
      } } }, "Show message"));
    }
    actions.append(el("button", { type: "button", className: "button-quiet", on: { click: () => {
      handled(li, `${label} alert about ${handle} dismissed.`);
      $("alerts-heading").focus();
    } } }, "Dismiss", el("span", { className: "visually-hidden" }, ` the alert about ${handle}`)));
    li.append(actions);
    list.prepend(li);
    refresh();
    return true;
  }

  function onAlert(alert) {
    if (!add(alert)) return;
    const handle = ctx.memberHandle(alert.member_id) || "a member";
    if (alert.kind === "crisis") {
      urgent(`Crisis alert: ${handle} may be struggling. They have been shown crisis resources. See Alerts.`);
    } else {
      ctx.announce(`${ALERT_LABELS[alert.kind] || "Alert"} alert about ${handle}. See Alerts.`);
    }
  }

  // The alerts a join answer lists, oldest first: one announcement for all of them.
  function restore(alerts) {
    const added = (Array.isArray(alerts) ? alerts : []).filter((a) => a && typeof a === "object" && add(a));
    if (!added.length) return;
    const crises = added.filter((a) => a.kind === "crisis").length;
    const open = added.length === 1 ? "1 alert is open" : `${added.length} alerts are open`;
    if (crises) urgent(`${open}, ${crises === 1 ? "1 about crisis words" : `${crises} about crisis words`}. See Alerts.`);
    else ctx.announce(`${open}. See Alerts.`);
  }

  refresh();
  return { onAlert, restore };
}
