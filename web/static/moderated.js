// Moderation of this member: muted, unmuted, removed, banned, and what became of a
// message that waited for a facilitator (approved, rejected).

import { updateSendButton } from "./compose.js";
import { socket } from "./connection.js";
import { announce } from "./notices.js";
import { formatWhen, serverNow, serverTimeKnown } from "./render.js";
import { $, ROOM, state } from "./state.js";

// The end is the server's time: judged by the server's clock (render.js), never the
// device's, which may be off by days. Until a server reading has arrived (a `moderated`
// can come before the join's answer), look again shortly rather than guess.
function watchMuteEnd(until) {
  const end = Date.parse(until);
  if (!Number.isFinite(end)) return;
  const ms = serverTimeKnown() ? end - serverNow() : 1000;
  state.muteTimer = window.setTimeout(() => {
    if (state.mutedUntil !== until) return;
    if (serverTimeKnown() && serverNow() >= end) {
      setMuted(null);
      announce("You can send messages again.");
    } else {
      watchMuteEnd(until);
    }
  }, Math.min(Math.max(0, ms) + 500, 60_000));
}

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
    if (until) watchMuteEnd(until);
  }
  updateSendButton();
}

/** ctx: {endMembership(message, options)} (stage.js) for a removal or a ban. */
export function setupModerated({ endMembership }) {
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
      case "approved":
        announce("A facilitator approved your message. It is now in the room.");
        break;
      case "rejected":
        announce("A facilitator decided not to show your message. You can say it another way.");
        break;
      default:
        break;
    }
  });
}
