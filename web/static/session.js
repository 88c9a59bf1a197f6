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
  state.lastSeq = Number(saved.last_seq) || 0;
  state.handle = saved.handle || saved.member.handle;
}

export function saveSession() {
  if (!state.me || !state.memberToken) return;
  storageSet("sessionStorage", MEMBER_KEY, JSON.stringify({
    member: state.me, member_token: state.memberToken, last_seq: state.lastSeq, handle: state.handle,
  }));
}

export function clearSession() {
  storageRemove("sessionStorage", MEMBER_KEY);
  state.memberToken = null;
}
