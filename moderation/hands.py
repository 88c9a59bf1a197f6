"""The hand-raise queue: which places in it are kept for people who are not there.

A connection that drops keeps its place, so a reload resumes into it. But a drop-in
room never opens or closes, so nothing else would ever empty the line of people who
never came back, and every `room_state`, join and hand answer carries the whole line:
a place is kept only while its holder could still resume, and only so many are kept.

The caller passes the queue, when its absent holders dropped (`Away`), who is present
if it read that, and ``now``; nothing here reads state or the clock.
"""

from __future__ import annotations

from collections.abc import Collection

# (member id, when their connection dropped), oldest drop first: the people in the
# queue who are not in the room now.
Away = tuple[tuple[str, float], ...]


def dropped(queue: tuple[str, ...], away: Away, member_id: str, now: float) -> Away:
    """`away` once `member_id`'s connection dropped at `now` (unchanged when they have
    no place in the queue). A drop after a resume counts from the new drop."""
    if member_id not in queue:
        return away
    return (*((m, at) for m, at in away if m != member_id), (member_id, now))


def kept_places(queue: tuple[str, ...], away: Away, now: float, *, keep_s: float, most: int,
                present: Collection[str] | None = None) -> tuple[tuple[str, ...], Away]:
    """The queue and its `away` with only the places someone can still come back to.

    A place is kept while its holder is present, or for `keep_s` after they dropped
    (the caller passes how long a resume can come after a drop). At most `most` places
    are kept for people who are not there; past that, the longest gone lose theirs
    first, so the queue never holds more than the members present plus `most`.

    `present`, when the caller read the room's members: anyone in the queue who is not
    among them and was not seen to drop (a hand raised just as its member left, a queue
    kept from before drops were noted) counts as dropped at `now`, and anyone among
    them is no longer away (they resumed). Without it, whoever has no drop time in
    `away` is taken to be present.
    """
    noted = dict(away)
    if present is None:
        gone = [(m, at) for m, at in away if m in queue]
    else:
        gone = [(m, noted.get(m, now)) for m in queue if m not in present]
    # Oldest drop first (stable: equal times keep their order, the queue's for new ones).
    gone.sort(key=lambda item: item[1])
    resumable = [(m, at) for m, at in gone if at + keep_s >= now]
    kept = tuple(resumable[max(0, len(resumable) - most):])
    lost = {m for m, _ in gone} - {m for m, _ in kept}
    return tuple(m for m in queue if m not in lost), kept
