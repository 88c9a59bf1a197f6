// The admin console's entry point: wires its sections together (the room page's
// pattern: each part gets what it needs passed in, see room.js).
//
//   admin-api.js           fetch to /api/admin/* with the login cookie
//   admin-ui.js            live regions, errors at their field, confirmations, rows
//   admin-rooms.js         rooms and meetings
//   admin-facilitators.js  facilitators and invite links
//   admin-formats.js       formats
//   admin-resources.js     resources
//   admin-audit.js         the site's audit

import { createAudit } from "./admin-audit.js";
import { createFacilitators } from "./admin-facilitators.js";
import { createFormats } from "./admin-formats.js";
import { createResources } from "./admin-resources.js";
import { createRooms } from "./admin-rooms.js";

const audit = createAudit();
const ctx = { changed: () => audit.load() };
const rooms = createRooms(ctx);
const facilitators = createFacilitators(ctx);
const formats = createFormats(ctx);
const resources = createResources(ctx);

Promise.all([rooms.load(), facilitators.load(), formats.load(), resources.load(), audit.load()])
  .then(() => { document.body.dataset.adminReady = "true"; });
