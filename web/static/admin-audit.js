// The site's audit: changes to records, newest first (never message text).

import { api } from "./admin-api.js";
import { $, showProblem } from "./admin-ui.js";
import { el, formatFull } from "./render.js";

function details(detail) {
  return Object.entries(detail || {}).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(", ");
}

export function createAudit() {
  async function load() {
    const answer = await api("GET", "/api/admin/audit");
    if (!answer.ok) { showProblem(answer.error); return; }
    $("audit-rows").replaceChildren(...answer.data.map((entry) => el("tr", {},
      el("td", {}, el("time", { datetime: entry.at, text: formatFull(entry.at) })),
      el("td", { text: entry.actor }),
      el("td", { text: entry.action }),
      el("td", { text: entry.target || "" }),
      el("td", { text: details(entry.detail) }))));
    $("audit-empty").hidden = answer.data.length > 0;
  }
  $("audit-refresh").addEventListener("click", load);
  return { load };
}
