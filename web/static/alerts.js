// Alerts for staff (crisis words, reports, personal information): each stays listed
// until a facilitator handles it (dismisses it, or opens a private check-in from it).
// A crisis alert is announced assertively and quotes what was written (alert.text).

import { el, timeElement } from "./render.js";
import { $ } from "./state.js";

const ALERT_LABELS = {
  crisis: "Crisis words",
  report: "Report",
  pii: "Personal information",
};

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
  }

  function onAlert(alert) {
    const handle = ctx.memberHandle(alert.member_id) || "a member";
    const label = ALERT_LABELS[alert.kind] || "Alert";
    const li = el("li", { className: `staff-item alert alert-${alert.kind}`, dataset: { kind: alert.kind, memberId: alert.member_id || "", messageId: alert.message_id || "" } },
      el("span", { className: "staff-item-title" }, `${label}: ${handle}`),
      " ",
      timeElement(new Date().toISOString(), "muted"),
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
    if (alert.kind === "crisis") {
      urgent(`Crisis alert: ${handle} may be struggling. They have been shown crisis resources. See Alerts.`);
    } else {
      ctx.announce(`${label} alert about ${handle}. See Alerts.`);
    }
  }

  refresh();
  return { onAlert };
}
