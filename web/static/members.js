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

  function joined(member) {
    state.members.set(member.id, member);
    if (state.me && member.id === state.me.id) {
      // A role change (promotion) arrives as our own presence.
      const becameStaff = !isStaff() && isStaffRole(member.role);
      state.me = member;
      saveSession();
      refreshMessageActions();
      staff.show(isStaff());
      if (becameStaff) announce("You are now a co-facilitator of this room.");
    }
  }

  function counted(data) {
    if (typeof data.count === "number") state.memberCount = data.count;
    else state.memberCount = state.members.size;
    renderMembers();
  }

  socket.on("presence", (data) => {
    if (!data || data.room !== ROOM || state.stage !== "in") return;
    if (data.joined) joined(data.joined);
    if (data.left) state.members.delete(data.left);
    counted(data);
  });

  // Several presence changes at once (a join storm): each member once, left first.
  socket.on("presence_batch", (data) => {
    if (!data || data.room !== ROOM || state.stage !== "in") return;
    for (const id of data.left || []) state.members.delete(id);
    for (const member of data.joined || []) joined(member);
    counted(data);
  });

  return { renderMembers };
}
