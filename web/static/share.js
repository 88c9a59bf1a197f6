// Sharing in a meeting: the queue of raised hands, the hand button, and the panel
// that says who is sharing with the time they have left.

import { call } from "./connection.js";
import { memberHandle } from "./handles.js";
import { announce, showError } from "./notices.js";
import { el, formatClock, formatTime, serverNow, serverTimeKnown } from "./render.js";
import { $, KIND, PAGE_TITLE, ROOM, handRaised, isStaff, state } from "./state.js";

const SHARE_WARNING_S = 30;

function stopShareTimer() {
  window.clearInterval(state.shareTimer);
  state.shareTimer = null;
}

/**
 * ctx: {staff: {callToShare(id)}} (staff-link.js) for the queue's Call buttons;
 * {renderMembers()} (members.js), whose hands follow the queue. Returns what a join,
 * a room_state and the end of a membership draw.
 */
export function createShare({ staff, renderMembers }) {
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

  return { clearShare, renderQueue, renderShare };
}
