// The room page's entry point: wires the modules together and starts.
//
//   state.js       shared constants and the one `state` object
//   storage.js     web storage that may be unavailable
//   session.js     this tab's seat, kept for reloads and reconnects
//   notices.js     #notice, #error and #connection
//   connection.js  the socket, device token, acknowledged calls, reconnect/resume
//   membership.js  views, joining, being seated, leaving
//   lobby.js       the waiting room view
//   chatlog.js     the message log, ordered by seq
//   report.js      reporting a message
//   compose.js     sending, client_id retries, rate-limit countdowns
//   members.js     who is here
//   share.js       the share queue, hand button, share panel and timer
//   roomstate.js   room_state: status badges, pinned text, and the rest it updates
//   moderated.js   this member muted, removed or banned
//   support.js     crisis resources for this person
//   staff-link.js  the facilitator tools (staff.js) wired to the socket
//
// The modules import each other in cycles. That is safe because loading one only
// defines things (plus the socket, #log and #compose lookups, and the staff panel);
// every listener is added by a setup function called below, once all have loaded.
//
// Protocol: DESIGN.md §3. Untrusted text only ever goes through textContent (render.js).

import { setupChatlog } from "./chatlog.js";
import { setupCompose, updateCount } from "./compose.js";
import { setupConnection, showConnecting } from "./connection.js";
import { setupLobby } from "./lobby.js";
import { setupMembers } from "./members.js";
import { setupMembership, showStage } from "./membership.js";
import { setupModerated } from "./moderated.js";
import { announce } from "./notices.js";
import { setupReport } from "./report.js";
import { setupRoomState } from "./roomstate.js";
import { restoreSession } from "./session.js";
import { setupShare } from "./share.js";
import { setupStaffLink } from "./staff-link.js";
import { $, FACILITATOR, state } from "./state.js";
import { setupSupport } from "./support.js";

restoreSession();

setupConnection();
setupMembership();
setupLobby();
setupChatlog();
setupReport();
setupCompose();
setupMembers();
setupShare();
setupRoomState();
setupModerated();
setupSupport();
setupStaffLink();

if (state.handle && !FACILITATOR) $("handle").value = state.handle;
updateCount();
showStage(state.memberToken ? "joining" : "out");
if (state.memberToken) announce("Rejoining…");
showConnecting();
