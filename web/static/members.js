// Who is here: the member list and presence updates.

import { socket } from "./connection.js";
import { rememberHandles } from "./handles.js";
import { announce } from "./notices.js";
import { isStaffRole, memberElement } from "./render.js";
import { saveSession } from "./session.js";
import { $, KIND, ROOM, handRaised, isStaff, state } from "./state.js";

/**
 * ctx: {staff: {memberAction(li, action), show(visible)}} (staff-link.js) for the
 * buttons on each member and a promotion; {refreshMessageActions()} (chatlog.js) for
 * a promotion. Returns renderMembers, which the share queue and room state call too.
 */
export function createMembers({ staff, refreshMessageActions }) {
  function renderMembers() {
    rememberHandles();
    const list = $("members");
    const open = new Set([...list.querySelectorAll("details[open]")].map((d) => d.closest("li").dataset.memberId));
    const sorted = [...state.members.values()].sort((a, b) =>
      Number(isStaffRole(b.role)) - Number(isStaffRole(a.role)) || a.handle.localeCompare(b.handle));
    const sharing = state.room?.share?.member_id || null;
    const canCall = isStaff() && KIND === "meeting" && state.room?.status === "open";
    list.replaceChildren(...sorted.map((member) => {
      const li = memberElement(member, {
        me: state.me, viewerIsStaff: isStaff(), handRaised: handRaised(member.id),
        sharing: member.id === sharing, canCall: canCall && !isStaffRole(member.role),
      });
      const details = li.querySelector("details");
      if (details && open.has(member.id)) details.open = true;
      return li;
    }));
    const count = Math.max(state.memberCount, state.members.size);
    $("member-count").textContent = `(${count})`;
  }

  $("members").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    const li = button && button.closest("[data-member-id]");
    if (li) staff.memberAction(li, button.dataset.action);
  });

  socket.on("presence", (data) => {
    if (!data || data.room !== ROOM || state.stage !== "in") return;
    if (data.joined) {
      state.members.set(data.joined.id, data.joined);
      if (state.me && data.joined.id === state.me.id) {
        // A role change (promotion) arrives as our own presence.
        const becameStaff = !isStaff() && isStaffRole(data.joined.role);
        state.me = data.joined;
        saveSession();
        refreshMessageActions();
        staff.show(isStaff());
        if (becameStaff) announce("You are now a co-facilitator of this room.");
      }
    }
    if (data.left) state.members.delete(data.left);
    if (typeof data.count === "number") state.memberCount = data.count;
    else state.memberCount = state.members.size;
    renderMembers();
  });

  return { renderMembers };
}
