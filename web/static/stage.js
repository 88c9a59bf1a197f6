// Which part of the page shows (join form, lobby, chat), and the end of a membership,
// which puts the join form back. Its own module because joining, the lobby, the room
// state and moderation all change the view, and none of them should import the others.

import { clearPendingSend, updateSendButton } from "./compose.js";
import { announce, showError } from "./notices.js";
import { closeReport } from "./report.js";
import { clearSession } from "./session.js";
import { $, isStaff, state } from "./state.js";

/**
 * ctx: {staff: {show(visible)}} (staff-link.js): the panel is shown only in the room;
 * {clearShare()} (share.js): a share on screen ends with the membership.
 */
export function createStage({ staff, clearShare }) {
  // In the room the notices sit just above the message box, so on a phone they are
  // in view while typing; elsewhere they stay under the room's title.
  const notices = $("notices");
  function placeNotices(inRoom) {
    const anchor = inRoom ? $("compose-form") : $("join-section");
    if (notices.nextElementSibling !== anchor) anchor.before(notices);
  }

  function showStage(stage) {
    state.stage = stage;
    placeNotices(stage === "in");
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
    // A mute follows the device, and the server says so again on the next join; a
    // check-in ends with the membership.
    window.clearTimeout(state.muteTimer);
    state.mutedUntil = null;
    $("mute-banner").hidden = true;
    updateSendButton();
    $("checkin").hidden = true;
    $("checkin-log").replaceChildren();
    // Removed or banned: the alert says why, and the join form stays visible but off.
    $("join-explain").hidden = blocked;
    showStage("ended");
    if (isError) showError({ message }); else announce(message);
    if (!blocked) $("handle").focus();
  }

  return { endMembership, showStage };
}
