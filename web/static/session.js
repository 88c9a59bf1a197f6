// This tab's seat in the room (member token, last seq seen), kept in sessionStorage
// so a reload or a reconnect resumes instead of joining afresh.

import { ROOM, state } from "./state.js";
import { storageGet, storageRemove, storageSet } from "./storage.js";

const MEMBER_KEY = `peer-rooms:member:${ROOM}`;

function loadSession() {
  try {
    const saved = JSON.parse(storageGet("sessionStorage", MEMBER_KEY) || "null");
    return saved && saved.member_token && saved.member ? saved : null;
  } catch {
    return null;
  }
}

/** Put a saved seat (if any) into `state`; called once, at start. */
export function restoreSession() {
  const saved = loadSession();
  if (!saved) return;
  state.me = saved.member;
  state.memberToken = saved.member_token;
  // The page starts empty, so a reload asks for everything since the seat began (the
  // server's buffer permitting), not just what came after the last message seen.
  state.seenFrom = Number(saved.seen_from) || 0;
  state.lastSeq = state.seenFrom;
  state.ownIds = new Set(Array.isArray(saved.own_ids) ? saved.own_ids : [saved.member.id]);
  state.handle = saved.handle || saved.member.handle;
}

export function saveSession() {
  if (!state.me || !state.memberToken) return;
  storageSet("sessionStorage", MEMBER_KEY, JSON.stringify({
    member: state.me, member_token: state.memberToken, last_seq: state.lastSeq, handle: state.handle,
    seen_from: state.seenFrom, own_ids: [...state.ownIds].slice(-20),
  }));
}

export function clearSession() {
  storageRemove("sessionStorage", MEMBER_KEY);
  state.memberToken = null;
}
