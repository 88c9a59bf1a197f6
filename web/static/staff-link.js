// The facilitator tools (staff.js) wired to this page: moderation goes out through the
// socket, and the staff-only events come in to the panel and the console (alerts.js,
// private.js, confirm.js).

import { createAlerts } from "./alerts.js";
import { createConfirm } from "./confirm.js";
import { call, socket } from "./connection.js";
import { memberHandle } from "./handles.js";
import { announce, showError } from "./notices.js";
import { createPrivate } from "./private.js";
import { createStaff } from "./staff.js";
import { KIND, ROOM, isStaff, state } from "./state.js";

/**
 * ctx: {focusMessage(id) -> bool} (chatlog.js). Returns the panel (createStaff's API),
 * which the chat log, member list, share queue and room state tell what changed.
 */
export function createStaffLink({ focusMessage }) {
  async function mod(action, fields, { quiet = false } = {}) {
    const answer = await call("mod", { room: ROOM, action, ...fields }, { quiet });
    if (!answer.ok && !quiet) showError(answer.error);
    return answer;
  }
  let staff = null;
  const lines = createPrivate({ mod });
  const alerts = createAlerts({
    announce,
    memberHandle,
    focusMessage,
    openLine: lines.open,
    isHere: (id) => state.members.has(id),
    onCountChanged: (n) => { if (staff) staff.setAlertCount(n); },
  });
  staff = createStaff({
    kind: KIND,
    mod,
    announce,
    memberHandle,
    alerts,
    lines,
    confirm: createConfirm({ announce }),
  });

  socket.on("alert", (data) => { if (data && data.room === ROOM && isStaff()) staff.onAlert(data); });
  socket.on("held", (data) => { if (data && data.room === ROOM && isStaff()) staff.onHeld(data); });
  socket.on("held_resolved", (data) => { if (data && data.room === ROOM) staff.onHeldResolved(data); });
  // Sent only to staff, and the first one comes right after a facilitator's join, before
  // the join's answer: rendered even before this page knows it is staff (the panel stays
  // hidden until then).
  socket.on("lobby", (data) => { if (data && data.room === ROOM) staff.onLobby(data); });

  return staff;
}
