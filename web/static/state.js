// What every part of the room page shares: the page's constants, the one `state`
// object, and the `$` shorthand. Imports nothing of the page, so it is always ready.

import { isStaffRole } from "./render.js";

export const $ = (id) => document.getElementById(id);

const app = $("room-app");
export const ROOM = app.dataset.room;
export const KIND = app.dataset.kind;
export const FACILITATOR = app.dataset.facilitator || "";
export const PAGE_TITLE = document.title;

export const state = {
  stage: "out", // out | joining | lobby | in | ended
  me: null, // {id, handle, role}
  memberToken: null,
  handle: "",
  lastSeq: 0,
  seenFrom: 0, // the room's seq when this seat began: a reload replays from here
  ownIds: new Set(), // every member id this tab has been (a restart may bring a new one)
  members: new Map(), // id -> member
  memberCount: 0,
  messages: new Map(), // id -> {msg, li}
  room: null, // last room_state
  disconnected: false,
  wantJoin: false, // Join pressed before the socket connected
  pendingSend: null, // {text, clientId, attempts, timer}
  waitUntil: 0, // rate limit / slow mode
  waitCode: null,
  waitTimer: null,
  mutedUntil: null,
  muteTimer: null,
  shareTimer: null,
  shareKey: null, // member_id|ends_at of the share on screen
  shareWarned: false, // the 30-second announcement was made for this share
  waitingId: null, // our place in the lobby
  startsAt: null, // the meeting's scheduled start (for the lobby), ISO UTC
  reportTarget: null,
  blocked: false, // removed or banned: no automatic re-join
};

export const isStaff = () => Boolean(state.me && isStaffRole(state.me.role));

// Asked by the member list and the share queue alike, so it lives with the state.
export const handRaised = (id) =>
  Boolean(state.room && Array.isArray(state.room.queue) && state.room.queue.includes(id));
