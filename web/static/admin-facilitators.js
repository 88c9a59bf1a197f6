// Facilitators: who can sign in (and who is still invited), invite links, revoking.

import { api } from "./admin-api.js";
import {
  $, announce, clearFieldErrors, clearProblem, confirmInline, showFormError, showProblem,
  sourceNote,
} from "./admin-ui.js";
import { el, formatFull } from "./render.js";

/** ctx: {changed()} */
export function createFacilitators(ctx) {
  const form = $("invite-form");

  function item(person) {
    const actions = el("span", { className: "actions" });
    if (person.source === "config") actions.append(sourceNote(person));
    else {
      const verb = person.pending ? "Cancel invite" : "Revoke";
      actions.append(el("button", { type: "button", className: "button-danger", text: verb,
        "aria-label": `${verb} for ${person.name}`,
        on: { click: () => confirmInline(actions,
          `${verb} for ${person.name}? They are signed out everywhere at once.`,
          `${verb} for ${person.name} now`, () => revoke(person)) } }));
    }
    const notes = [person.admin ? "Admin" : "Facilitator"];
    if (person.pending) {
      const until = person.invite_expires_at ? formatFull(person.invite_expires_at) : "";
      notes.push(until ? `invited, link good until ${until}` : "invited");
    }
    return el("li", { className: "admin-item", dataset: { name: person.name } },
      el("span", { className: "admin-item-main admin-item-title", text: person.name }),
      el("span", { className: "admin-item-detail", text: notes.join(", ") }),
      actions);
  }

  async function load() {
    const list = $("facilitator-list");
    const answer = await api("GET", "/api/admin/facilitators");
    list.removeAttribute("aria-busy");
    if (!answer.ok) { showProblem(answer.error); return; }
    list.replaceChildren(...answer.data.map(item));
  }

  async function revoke(person) {
    const answer = await api("DELETE", `/api/admin/facilitators/${encodeURIComponent(person.name)}`);
    if (!answer.ok) { showProblem(answer.error); return false; }
    announce(`${person.name} can no longer sign in.`);
    await load();
    $("facilitators-heading").focus();
    ctx.changed();
    return true;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearProblem();
    const name = $("invite-name").value.trim();
    const answer = await api("POST", "/api/admin/facilitators", { name, admin: $("invite-admin").checked });
    if (!answer.ok) {
      if (answer.error.code === "invalid") showFormError(form, answer.error);
      else if (answer.error.code === "exists") {
        showFormError(form, { field: "name", message: "There is already a facilitator by this name." });
      } else showProblem(answer.error);
      return;
    }
    clearFieldErrors(form);
    form.reset();
    const invite = answer.data;
    $("invite-result-note").textContent = `Send this link to ${invite.name} privately. It works once, `
      + `until ${formatFull(invite.expires_at)}, and is not shown again.`;
    $("invite-link").value = invite.invite_url;
    $("invite-result").hidden = false;
    $("invite-link").focus();
    $("invite-link").select();
    announce(`Invite link made for ${invite.name}.`);
    await load();
    ctx.changed();
  });

  $("invite-copy").addEventListener("click", async () => {
    const input = $("invite-link");
    input.select();
    try {
      await navigator.clipboard.writeText(input.value);
      announce("The link is copied.");
    } catch {
      announce("Copying was not allowed here: the link is selected, copy it with your keyboard.");
    }
  });

  return { load };
}
