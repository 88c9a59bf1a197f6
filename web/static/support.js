// Support: crisis resources the server shows just to this person.

import { socket } from "./connection.js";
import { announce } from "./notices.js";
import { resourceElement } from "./render.js";
import { $, ROOM } from "./state.js";

export function setupSupport() {
  socket.on("support", (data) => {
    if (!data || data.room !== ROOM) return;
    const resources = Array.isArray(data.resources) ? data.resources : [];
    $("support-resources").replaceChildren(...resources.map(resourceElement));
    $("support-panel").hidden = false;
    // Not moving focus: the person may be mid-sentence. Tell them where it is.
    announce("We've shown some people you can reach right now, just above the message box.");
  });

  $("support-close").addEventListener("click", () => {
    $("support-panel").hidden = true;
    $("compose").focus();
  });
}
