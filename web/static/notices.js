// The page's live regions: #notice (status, fades), #error (stays), #connection.

import { $ } from "./state.js";

// Clearing first makes screen readers announce a repeated message again.
function setLive(node, text) {
  node.textContent = "";
  if (text) window.setTimeout(() => { node.textContent = text; }, 30);
}

// Status notes fade after a while so an old one is never mistaken for news; errors
// stay until the person does something else.
let noticeTimer = null;
export function announce(text) {
  setLive($("notice"), text);
  window.clearTimeout(noticeTimer);
  noticeTimer = window.setTimeout(() => {
    if ($("notice").textContent === text) $("notice").textContent = "";
  }, 15_000);
}
export function clearError() { $("error").textContent = ""; }

export function showError(error) {
  const message = (error && error.message) || "Something went wrong. Please try again.";
  setLive($("error"), message);
}

export function setConnection(text) {
  const node = $("connection");
  node.textContent = text;
  node.hidden = !text;
}
