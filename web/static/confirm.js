// Remove and ban ask once, inline (no window.confirm), then offer Undo for 10 seconds.
//
// The bar sits above "Who is here", outside the member list, so a presence update
// redrawing the list never takes the question away mid-answer. Keyboard: focus moves to
// the answer button; Escape cancels a question or closes an undo offer.

import { $ } from "./state.js";

export const UNDO_MS = 10_000;

/** ctx: {announce(text)} (notices.js). */
export function createConfirm({ announce }) {
  const bar = $("act-bar");
  const text = $("act-text");
  const yes = $("act-yes");
  const no = $("act-no");
  let current = null; // {kind: "ask"|"undo", onYes, onNo, onExpire, timer}

  function hide() {
    if (current) window.clearTimeout(current.timer);
    current = null;
    // Keyboard focus must not fall to the page's start when the bar goes away.
    const hadFocus = bar.contains(document.activeElement);
    bar.hidden = true;
    text.textContent = "";
    if (hadFocus) {
      const heading = $("members-heading");
      heading.tabIndex = -1;
      heading.focus();
    }
  }

  /** Whatever is on the bar ends now: an undo window closes and its action runs. */
  function settle() {
    const was = current;
    hide();
    if (was && was.kind === "undo" && was.onExpire) was.onExpire();
  }

  function show(kind, message, yesLabel, noLabel, handlers) {
    settle();
    current = { kind, ...handlers, timer: null };
    text.textContent = message;
    yes.textContent = yesLabel;
    no.textContent = noLabel;
    yes.className = kind === "ask" ? "button-danger" : "button-primary";
    bar.hidden = false;
    bar.scrollIntoView({ block: "nearest" });
    yes.focus();
  }

  /** Ask once: `onYes` runs only when the facilitator confirms. */
  function ask(message, yesLabel, onYes, { returnTo = null } = {}) {
    show("ask", message, yesLabel, "Cancel", {
      onYes,
      onNo: () => { announce("Nothing was done."); if (returnTo) returnTo.focus(); },
    });
  }

  /**
   * An action that can still be taken back for 10 seconds: `onUndo` on Undo,
   * `onExpire` when the window closes (by time, by "Done"/`nowLabel`, or because
   * another action came along).
   */
  function offerUndo(message, { undoLabel = "Undo", nowLabel = "Done", onUndo, onExpire = null }) {
    show("undo", message, undoLabel, nowLabel, { onYes: onUndo, onNo: null, onExpire });
    current.timer = window.setTimeout(settle, UNDO_MS);
  }

  yes.addEventListener("click", (event) => {
    // The second click of a double click on "Yes" would land on the "Undo" that took
    // its place: a click counted as part of a double click is not an answer.
    if (!current || event.detail > 1) return;
    const was = current;
    hide();
    was.onYes();
  });
  no.addEventListener("click", (event) => {
    if (!current || event.detail > 1) return;
    if (current.kind === "undo") { settle(); return; }
    const was = current;
    hide();
    was.onNo();
  });
  bar.addEventListener("keydown", (event) => {
    // Escape answers "Cancel" to a question; an undo offer just runs its course.
    if (event.key !== "Escape" || !current || current.kind !== "ask") return;
    event.preventDefault();
    no.click();
  });

  return { ask, offerUndo, settle };
}
