// Handles seen on this page, kept after people leave so the audit log and alerts can
// still name them. Only in memory: gone when the page closes.

import { state } from "./state.js";

const knownHandles = new Map();

/** Called whenever the member list is drawn: everyone on it has been seen. */
export function rememberHandles() {
  for (const member of state.members.values()) knownHandles.set(member.id, member.handle);
}

export function memberHandle(id) {
  return state.members.get(id)?.handle || knownHandles.get(id) || null;
}
