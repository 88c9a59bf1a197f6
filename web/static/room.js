// The room page's entry point, and the one place that wires its parts together.
//
//   state.js       shared constants, the one `state` object, isStaff and handRaised
//   storage.js     web storage that may be unavailable
//   session.js     this tab's seat, kept for reloads and reconnects
//   notices.js     #notice, #error and #connection
//   connection.js  the socket, device token, acknowledged calls, reconnect/resume
//   handles.js     handles seen on this page, for people who have left
//   report.js      reporting a message
//   compose.js     sending, client_id retries, rate-limit countdowns
//   staff-link.js  the facilitator tools (staff.js) wired to the socket
//   chatlog.js     the message log, ordered by seq
//   members.js     who is here
//   share.js       the share queue, hand button, share panel and timer
//   stage.js       which view shows, and the end of a membership
//   lobby.js       the waiting room view
//   roomstate.js   room_state: status badges, pinned text, and the rest it updates
//   membership.js  joining, being seated, leaving
//   moderated.js   this member muted, removed or banned
//   support.js     crisis resources for this person
//
// A module that calls into another part of the page gets it passed in by a create
// function below (the pattern of staff.js's createStaff(ctx)); it imports only modules
// that need nothing of it back (state, render, notices, storage, session, connection,
// handles, report, compose, staff). So no two modules import each other, the order
// below is the order the parts need each other, and tests/test_web_modules.py keeps the
// import graph free of cycles.
//
// Protocol: DESIGN.md §3. Untrusted text only ever goes through textContent (render.js).

import { createChatlog, focusMessage } from "./chatlog.js";
import { setupCompose, updateCount } from "./compose.js";
import { setupConnection, showConnecting } from "./connection.js";
import { createLobby } from "./lobby.js";
import { createMembers } from "./members.js";
import { createMembership } from "./membership.js";
import { setupModerated } from "./moderated.js";
import { announce } from "./notices.js";
import { setupReport } from "./report.js";
import { createRoomState } from "./roomstate.js";
import { restoreSession } from "./session.js";
import { createShare } from "./share.js";
import { createStage } from "./stage.js";
import { createStaffLink } from "./staff-link.js";
import { $, FACILITATOR, state } from "./state.js";
import { setupSupport } from "./support.js";

restoreSession();

const staff = createStaffLink({ focusMessage });
const chatlog = createChatlog({ staff });
const { renderMembers } = createMembers({ staff, refreshMessageActions: chatlog.refreshMessageActions });
const { clearShare, renderQueue, renderShare } = createShare({ staff, renderMembers });
const { endMembership, showStage } = createStage({ staff, clearShare });
const { enterLobby, renderLobby } = createLobby({ showStage });
const { renderRoomState } = createRoomState({
  staff, endMembership, renderLobby, renderMembers, renderQueue, renderShare,
});
const { join } = createMembership({
  chatlog, staff, showStage, endMembership, enterLobby, renderRoomState, renderMembers,
});
setupModerated({ endMembership });
setupReport();
setupCompose();
setupSupport();
setupConnection({ join });

if (state.handle && !FACILITATOR) $("handle").value = state.handle;
updateCount();
showStage(state.memberToken ? "joining" : "out");
if (state.memberToken) announce("Rejoining…");
showConnecting();
