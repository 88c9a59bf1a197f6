// Reporting a message to the facilitators: the form under the log.

import { call } from "./connection.js";
import { announce, showError } from "./notices.js";
import { $, ROOM, state } from "./state.js";

export function openReport(id) {
  const entry = state.messages.get(id);
  if (!entry) return;
  state.reportTarget = id;
  const text = String(entry.msg.text ?? "");
  $("report-quote").textContent = `From ${entry.msg.member?.handle || "someone"}: “${text.length > 140 ? `${text.slice(0, 140)}…` : text}”`;
  $("report-detail").value = "";
  $("report-form").hidden = false;
  $("report-reason").focus();
}

export function closeReport() {
  const id = state.reportTarget;
  state.reportTarget = null;
  $("report-form").hidden = true;
  return id;
}

export function setupReport() {
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
}
