// Facilitator tools: room controls, alerts, held messages, lobby, bans, audit log.
//
// Nothing here is a permission check: the server refuses `mod` from anyone who is
// not staff of the room. The panel is only shown to staff so members see a calm page.

import { el, formatFull, formatWhen, phaseLabel, timeElement } from "./render.js";

const $ = (id) => document.getElementById(id);

/**
 * ctx: {kind, mod(action, fields) -> Promise<answer>, announce(text),
 *       memberHandle(id) -> string|null, alerts: {onAlert(alert), restore(alerts)} (alerts.js),
 *       lines: {open(memberId)} (private.js), confirm: {ask, offerUndo} (confirm.js)}
 */
export function createStaff(ctx) {
  const panel = $("staff-panel");
  const state = { locked: false, paused: false, slow: 0, held: new Map(), alerts: 0, waiting: 0, visible: false };

  // On a phone the console is below the chat: one tap brings it up, with a count of
  // what waits there.
  function refreshBadge() {
    const n = state.alerts + state.held.size + state.waiting;
    $("console-badge").textContent = n ? `(${n})` : "";
    $("console-jump").setAttribute("aria-label", n ? `Console, ${n} waiting for you` : "Console");
  }
  // On a wide screen the console keeps to the viewport below the room's title, which
  // a pinned text makes taller: its height follows where it starts (CSSOM, not a style
  // attribute, so the CSP allows it).
  function fitConsole() {
    const node = $("console");
    if (node.hidden || window.getComputedStyle(node).position !== "sticky") {
      node.style.removeProperty("max-height");
      return;
    }
    const top = node.getBoundingClientRect().top + window.scrollY;
    node.style.maxHeight = `${Math.max(240, window.innerHeight - top - 8)}px`;
  }
  window.addEventListener("resize", fitConsole);
  $("console-jump").addEventListener("click", () => {
    $("console").scrollIntoView({ block: "start" });
    $("console-heading").focus();
  });

  if (ctx.kind !== "meeting") {
    // Drop-in rooms are always open and have no format to run.
    $("format-controls").hidden = true;
  }

  function setCount(id, n) {
    $(id).textContent = n ? `(${n})` : "";
  }

  function refreshEmpty(listId, emptyId, countId) {
    const n = $(listId).children.length;
    $(emptyId).hidden = n > 0;
    if (countId) setCount(countId, n);
    refreshBadge();
  }

  async function run(action, fields, done) {
    const answer = await ctx.mod(action, fields);
    if (answer.ok && done) done(answer);
    return answer;
  }

  // ---- room controls ----------------------------------------------------

  // A room_state can arrive while a facilitator is choosing a value: never overwrite
  // a control they have touched and not yet submitted.
  const dirty = new Set();
  for (const id of ["slow-seconds", "pin-text", "phase-name"]) {
    $(id).addEventListener("input", () => dirty.add(id));
    $(id).addEventListener("change", () => dirty.add(id));
  }
  const sync = (id, value) => {
    if (!dirty.has(id)) $(id).value = value;
  };

  // The notice says what was asked for: by the time the answer arrives, room_state
  // may already have flipped `state`, so reading it then reported the opposite.
  $("pause-button").addEventListener("click", () => {
    const paused = !state.paused;
    run("pause", { paused }, () =>
      ctx.announce(paused ? "Room paused. Members can't post, raise hands or join." : "Room resumed."));
  });

  $("lock-button").addEventListener("click", () => {
    const locked = !state.locked;
    run("lock", { locked }, () =>
      ctx.announce(locked ? "Room locked. Nobody new can join." : "Room unlocked."));
  });

  $("slow-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const seconds = Number($("slow-seconds").value);
    dirty.delete("slow-seconds");
    run("slow_mode", { seconds }, () =>
      ctx.announce(seconds ? `Slow mode set to ${$("slow-seconds").selectedOptions[0].textContent}.` : "Slow mode off."));
  });

  $("pin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    dirty.delete("pin-text");
    run("pin", { text: $("pin-text").value.trim() }, () => ctx.announce("Pinned text updated."));
  });
  $("unpin-button").addEventListener("click", () =>
    run("pin", { text: "" }, () => { dirty.delete("pin-text"); $("pin-text").value = ""; ctx.announce("Pin removed."); }));

  $("open-button").addEventListener("click", () =>
    run("open", {}, () => ctx.announce("Meeting opened.")));

  // Closing ends every membership and drops the recent messages: ask once more.
  let closeTimer = null;
  $("close-button").addEventListener("click", () => {
    $("close-confirm").hidden = false;
    $("close-confirm").focus();
    clearTimeout(closeTimer);
    closeTimer = setTimeout(() => { $("close-confirm").hidden = true; }, 8000);
  });
  $("close-confirm").addEventListener("click", () => {
    clearTimeout(closeTimer);
    $("close-confirm").hidden = true;
    run("close", {}, () => ctx.announce("Meeting closed."));
  });

  $("phase-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const name = $("phase-name").value;
    dirty.delete("phase-name");
    // The change itself is announced to everyone from the room_state that follows.
    if (name) run("phase", { name });
  });

  // The room_state that follows shows and announces who is sharing, for everyone.
  function callToShare(memberId) {
    return run("next_share", memberId ? { member_id: memberId } : {});
  }
  $("next-share-button").addEventListener("click", () => callToShare(null));
  $("end-share-button").addEventListener("click", () =>
    run("end_share", {}, () => ctx.announce("Share ended.")));

  // ---- per-member actions (delegated from the member list) ---------------

  function memberAction(li, action) {
    const memberId = li.dataset.memberId;
    const handle = ctx.memberHandle(memberId) || "The member";
    const field = (name) => li.querySelector(`[data-field="${name}"]`)?.value ?? "";
    const closeMenu = () => { const d = li.querySelector("details"); if (d) d.open = false; };
    switch (action) {
      case "mute": {
        const minutes = field("minutes");
        const fields = { member_id: memberId };
        if (minutes) fields.minutes = Number(minutes);
        return run("mute", fields, (answer) => {
          closeMenu();
          ctx.announce(answer.until
            ? `${handle} is muted until ${formatWhen(answer.until)}.`
            : `${handle} is muted until you unmute them.`);
        });
      }
      case "unmute":
        return run("unmute", { member_id: memberId }, () => { closeMenu(); ctx.announce(`${handle} is unmuted.`); });
      case "remove":
        return confirmRemove(memberId, handle, li.querySelector("summary"));
      case "ban": {
        const fields = { member_id: memberId, scope: field("scope") || "room" };
        const days = field("days");
        if (days) fields.days = Number(days);
        return confirmBan(fields, handle, li.querySelector("summary"));
      }
      case "private":
        closeMenu();
        return ctx.lines.open(memberId);
      case "call":
        return callToShare(memberId);
      case "promote":
        return run("promote", { member_id: memberId }, () => { closeMenu(); ctx.announce(`${handle} is now a co-facilitator.`); });
      default:
        return null;
    }
  }

  // ---- remove and ban: ask once, then 10 seconds to undo --------------------

  // A removal can't be taken back once done (the person may rejoin, but as someone
  // new), so it waits out the undo window before it is sent; "Remove now" skips it.
  function confirmRemove(memberId, handle, returnTo) {
    ctx.confirm.ask(`Remove ${handle} from the room? They can come back as someone new.`,
      `Yes, remove ${handle}`, () => {
        let undone = false;
        ctx.confirm.offerUndo(`${handle} will be removed in 10 seconds.`, {
          undoLabel: "Undo", nowLabel: "Remove now",
          onUndo: () => { undone = true; ctx.announce(`${handle} was not removed.`); },
          onExpire: () => {
            if (undone) return;
            run("remove", { member_id: memberId }, () => ctx.announce(`${handle} was removed from the room.`));
          },
        });
      }, { returnTo });
  }

  // A ban acts at once (a troll is gone now); Undo lifts it with its ban_id. Their
  // seat has ended either way: after an undo they may join again as someone new.
  function confirmBan(fields, handle, returnTo) {
    const where = fields.scope === "all" ? "all rooms" : "this room";
    const length = fields.days ? `for ${fields.days === 1 ? "1 day" : `${fields.days} days`}` : "with no end date";
    ctx.confirm.ask(`Ban ${handle} from ${where} ${length}?`, `Yes, ban ${handle}`, () =>
      run("ban", fields, (answer) => {
        ctx.announce(`${handle} is banned from ${where} ${length} and was removed.`);
        ctx.confirm.offerUndo(`${handle} is banned from ${where}.`, {
          undoLabel: "Undo ban",
          onUndo: () => run("unban", { ban_id: answer.ban_id }, () =>
            ctx.announce(`The ban on ${handle} is lifted. They were removed, and can join again as someone new.`)),
        });
      }), { returnTo });
  }

  // ---- held messages ---------------------------------------------------

  function dropHeld(id) {
    const li = state.held.get(id);
    if (!li) return false;
    // Keep keyboard focus in the list when the item under it goes away.
    const hadFocus = li.contains(document.activeElement);
    li.remove();
    state.held.delete(id);
    refreshEmpty("held", "held-empty", "held-count");
    if (hadFocus) ($("held").querySelector("button") || $("held-heading")).focus();
    return true;
  }

  // Ids this console is approving or rejecting: their held_resolved comes back before
  // the answer does, and is not news from "another facilitator".
  const settling = new Set();

  async function settle(action, id, said) {
    settling.add(id);
    try {
      await run(action, { message_id: id }, () => { dropHeld(id); ctx.announce(said); });
    } finally {
      settling.delete(id);
    }
  }

  // Another facilitator approved or rejected a held message: it leaves this list too.
  function onHeldResolved({ message_id: id, action }) {
    if (typeof id === "string" && dropHeld(id) && !settling.has(id)) {
      ctx.announce(action === "approved" ? "Another facilitator approved a held message."
        : "Another facilitator rejected a held message.");
    }
  }

  function onHeld({ message }, { quiet = false } = {}) {
    if (!message || state.held.has(message.id)) return;
    const handle = message.member?.handle || "Someone";
    const li = el("li", { className: "staff-item held-item", dataset: { messageId: message.id } },
      el("span", { className: "staff-item-title" }, handle), " ",
      timeElement(message.ts, "muted"),
      el("p", { className: "msg-text" }, String(message.text ?? "")),
      el("div", { className: "actions" },
        el("button", { type: "button", on: { click: () =>
          settle("approve", message.id, "Message approved.") } }, "Approve"),
        el("button", { type: "button", className: "button-danger", on: { click: () =>
          settle("reject", message.id, "Message rejected.") } }, "Reject")));
    state.held.set(message.id, li);
    $("held").append(li);
    refreshEmpty("held", "held-empty", "held-count");
    if (!quiet) ctx.announce(`A message from ${handle} is waiting for approval.`);
  }

  // What a facilitator's join answer lists as still waiting (a reload, a late arrival).
  function onBacklog({ alerts, held }) {
    const waiting = (Array.isArray(held) ? held : []).filter((m) => m && typeof m === "object" && !state.held.has(m.id));
    for (const message of waiting) onHeld({ message }, { quiet: true });
    if (waiting.length) ctx.announce(waiting.length === 1 ? "1 message is waiting for approval." : `${waiting.length} messages are waiting for approval.`);
    ctx.alerts.restore(alerts);
  }

  // ---- lobby ------------------------------------------------------------

  let waitingNow = [];

  function onLobby({ waiting }) {
    const list = $("lobby");
    const before = new Set(waitingNow.map((p) => p.id));
    waitingNow = Array.isArray(waiting) ? waiting.filter((p) => p && typeof p.id === "string") : [];
    // Keep keyboard focus on the list when the button under it goes away.
    const hadFocus = list.contains(document.activeElement);
    list.replaceChildren(...waitingNow.map((person) =>
      el("li", { className: "staff-item lobby-item", dataset: { memberId: person.id } },
        el("span", { className: "staff-item-title" }, String(person.handle ?? "")), " ",
        el("button", { type: "button", on: { click: () =>
          run("admit", { member_id: person.id }, () => ctx.announce(`${person.handle} admitted.`)) } },
        "Admit", el("span", { className: "visually-hidden" }, ` ${person.handle}`)))));
    refreshEmpty("lobby", "lobby-empty", "lobby-count");
    $("admit-all-button").hidden = waitingNow.length < 2;
    state.waiting = waitingNow.length;
    refreshBadge();
    if (hadFocus && !list.contains(document.activeElement)) {
      (list.querySelector("button") || $("lobby-list-heading")).focus();
    }
    const arrived = waitingNow.filter((p) => !before.has(p.id));
    if (arrived.length === 1) ctx.announce(`${arrived[0].handle} is in the waiting room.`);
    else if (arrived.length > 1) ctx.announce(`${arrived.length} people are in the waiting room.`);
  }

  $("admit-all-button").addEventListener("click", async () => {
    // One `admit` each (the protocol has no bulk admit); someone already let in by
    // another facilitator answers not_found, which is fine.
    const people = [...waitingNow];
    let admitted = 0;
    for (const person of people) {
      const answer = await ctx.mod("admit", { member_id: person.id }, { quiet: true });
      if (answer.ok) admitted += 1;
    }
    ctx.announce(admitted === 1 ? "1 person admitted." : `${admitted} people admitted.`);
  });

  // ---- bans and audit -----------------------------------------------------

  async function loadBans() {
    const answer = await ctx.mod("bans", {});
    if (!answer.ok) return;
    const bans = answer.bans || [];
    $("bans-refresh").textContent = "Refresh bans";
    $("bans").replaceChildren(...(bans.length ? bans.map((ban) =>
      el("li", { className: "staff-item", dataset: { banId: ban.ban_id } },
        el("span", { className: "staff-item-title" }, ban.handle || "Unknown"),
        ` · ${ban.scope === "all" ? "all rooms" : "this room"} · `,
        ban.until ? `until ${formatFull(ban.until)}` : "no end date", " ",
        el("button", { type: "button", on: { click: () =>
          run("unban", { ban_id: ban.ban_id }, () => { ctx.announce(`Ban on ${ban.handle || "member"} lifted.`); loadBans(); }) } }, "Unban")))
      : [el("li", { className: "muted" }, "No bans.")]));
  }
  $("bans-refresh").addEventListener("click", loadBans);

  async function loadAudit() {
    const answer = await ctx.mod("audit", {});
    if (!answer.ok) return;
    const entries = answer.entries || [];
    $("audit-refresh").textContent = "Refresh audit log";
    // A list, not a table: the side column is narrow, and a phone narrower still.
    $("audit").replaceChildren(...(entries.length ? entries.map((entry) => {
      const target = entry.target ? ctx.memberHandle(entry.target) || "a member who left" : null;
      return el("li", { className: "staff-item audit-entry", dataset: { entryId: entry.id || "" } },
        timeElement(entry.at, "muted"), " ",
        el("span", { className: "staff-item-title" }, entry.actor || "Someone"), " ",
        (entry.action || "").replace(/_/g, " "),
        target ? ` · ${target}` : "",
        entry.reason ? el("span", { className: "audit-reason" }, ` · ${entry.reason}`) : null);
    }) : [el("li", { className: "muted" }, "Nothing yet.")]));
  }
  $("audit-refresh").addEventListener("click", loadAudit);

  // ---- room state -------------------------------------------------------

  function onRoomState(room) {
    window.requestAnimationFrame(fitConsole); // the pinned text may have changed
    state.locked = Boolean(room.locked);
    state.paused = Boolean(room.paused);
    const lock = $("lock-button");
    lock.textContent = state.locked ? "Unlock room" : "Lock room";
    lock.setAttribute("aria-pressed", String(state.locked));
    const pause = $("pause-button");
    pause.textContent = state.paused ? "Resume room" : "Pause room";
    pause.setAttribute("aria-pressed", String(state.paused));
    const slow = String(room.slow_mode || 0);
    const select = $("slow-seconds");
    if (![...select.options].some((o) => o.value === slow)) {
      select.append(el("option", { value: slow }, `${slow} seconds`));
    }
    sync("slow-seconds", slow);
    sync("pin-text", room.pinned || "");
    syncPhases(room);
    const open = room.status === "open";
    $("open-button").disabled = open;
    $("close-button").disabled = room.status === "closed";
    $("phase-name").disabled = !open;
    $("phase-submit").disabled = !open;
    // Not disabled by the queue or the share: a button that vanishes from under the
    // keyboard focus is worse than the server's "Nobody has their hand raised."
    $("next-share-button").disabled = !open;
    $("end-share-button").disabled = !open;
  }

  // The phase select lists the room's own format (room_state.phases).
  let phaseNames = "";
  function syncPhases(room) {
    const select = $("phase-name");
    const names = Array.isArray(room.phases) ? room.phases.filter((n) => typeof n === "string") : [];
    if (names.join("\n") !== phaseNames) {
      phaseNames = names.join("\n");
      const chosen = select.value;
      select.replaceChildren(...names.map((name) => el("option", { value: name }, phaseLabel(name))));
      if (dirty.has("phase-name") && names.includes(chosen)) select.value = chosen;
    }
    if (room.phase && names.includes(room.phase)) sync("phase-name", room.phase);
  }

  return {
    show(visible) {
      state.visible = visible;
      panel.hidden = !visible;
      $("console").hidden = !visible;
      $("console-jump").hidden = !visible;
      $("chat-section").classList.toggle("staff-view", visible);
      fitConsole();
    },
    memberAction,
    onAlert(alert) { ctx.alerts.onAlert(alert); },
    onBacklog,
    // The alerts list counts for the phone's console button.
    setAlertCount(n) { state.alerts = n; refreshBadge(); },
    onHeld,
    onHeldResolved,
    onLobby,
    onRoomState,
    callToShare,
    // A held message that was approved (here or by another facilitator) arrives as
    // an ordinary message; a deleted one is gone for everyone.
    onMessage(id) { dropHeld(id); },
    onMessageDeleted(id) { dropHeld(id); },
  };
}
