// Resources: the "More support" list, edited as rows and saved whole.

import { api } from "./admin-api.js";
import {
  $, announce, clearFieldErrors, clearProblem, removeButton, rowInput, showFormError, showProblem,
} from "./admin-ui.js";
import { el } from "./render.js";

const FIELDS = [["name", "Name"], ["contact", "How to reach them"], ["url", "Link"], ["hours", "Hours"]];

/** ctx: {changed()} */
export function createResources(ctx) {
  const form = $("resources-form");
  let current = null;

  function addRow(resource = {}, readOnly = false) {
    const list = $("resource-rows");
    const i = list.children.length;
    const row = el("li", { className: "row resource-row" });
    for (const [key, label] of FIELDS) {
      const { wrap, input } = rowInput(`Resource ${i + 1} ${label.toLowerCase()}`,
        { value: resource[key] ?? "", field: `resources[${i}].${key}` });
      input.dataset.key = key;
      input.readOnly = readOnly;
      row.append(wrap);
    }
    const crisis = rowInput(`Resource ${i + 1} is for a crisis`,
      { type: "checkbox", value: resource.crisis, field: `resources[${i}].crisis` });
    crisis.input.dataset.key = "crisis";
    crisis.input.disabled = readOnly;
    row.append(crisis.wrap);
    if (!readOnly) row.append(removeButton(row, `Remove resource ${i + 1}`, renumber));
    list.append(row);
    return row.querySelector("input");
  }

  function currentRows() {
    return [...$("resource-rows").children].map((row) => {
      const item = {};
      for (const input of row.querySelectorAll("input")) {
        const key = input.dataset.key;
        if (key === "crisis") item.crisis = input.checked;
        else item[key] = input.value.trim() || null;
      }
      return item;
    });
  }

  // Labels and field names follow the rows' order, so "resources[1].url" is row 2.
  function renumber() {
    const items = currentRows();
    $("resource-rows").replaceChildren();
    for (const item of items) addRow(item);
  }

  async function load() {
    const answer = await api("GET", "/api/admin/resources");
    $("resource-rows").removeAttribute("aria-busy");
    if (!answer.ok) { showProblem(answer.error); return; }
    // The body is the list (DESIGN §3); where it comes from and when it was saved
    // come as headers.
    current = {
      resources: answer.data,
      source: answer.headers.get("X-Record-Source"),
      updated_at: answer.headers.get("X-Record-Updated-At"),
    };
    const readOnly = current.source === "config";
    $("resources-source").textContent = readOnly
      ? "From the config file (read-only)."
      : current.source === "default" ? "The built-in list, until you save your own." : "";
    $("resources-actions").hidden = readOnly;
    $("resource-rows").replaceChildren();
    for (const resource of current.resources) addRow(resource, readOnly);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearProblem();
    const resources = currentRows();
    const answer = await api("PUT", "/api/admin/resources",
      { resources, updated_at: current ? current.updated_at : null });
    if (!answer.ok) {
      if (answer.error.code === "invalid") showFormError(form, answer.error);
      else showProblem(answer.error, answer.error.code === "stale" ? load : null);
      return;
    }
    clearFieldErrors(form);
    announce("The resources were saved.");
    await load();
    ctx.changed();
  });

  $("resource-add").addEventListener("click", () => addRow().focus());
  return { load };
}
