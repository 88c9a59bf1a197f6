"""The shape of every client event's payload, checked before anything else runs.

DESIGN §3: wrong types or missing fields answer `bad_request` first, whatever else
is wrong. The domain then checks meaning (lengths, ranges, who may do what).
"""

from __future__ import annotations

from dataclasses import dataclass

from moderation.decisions import Denial, bad_request


@dataclass(frozen=True)
class Field:
    kind: type | tuple[type, ...]
    what: str
    required: bool = True


_ROOM = Field(str, "a string")
SHAPES: dict[str, dict[str, Field]] = {
    "join": {"room": _ROOM, "handle": Field(str, "a string", required=False),
             "resume": Field(dict, "{member_token, last_seq}", required=False)},
    "leave": {"room": _ROOM},
    "send": {"room": _ROOM, "text": Field(str, "a string"), "client_id": Field(str, "a string"),
             "to": Field(str, '"staff"', required=False)},
    "hand": {"room": _ROOM, "raised": Field(bool, "true or false")},
    "report": {"room": _ROOM, "message_id": Field(str, "a string"),
               "reason": Field(str, "a string", required=False)},
    "mod": {"room": _ROOM, "action": Field(str, "a string")},
}


def shape_error(event: str, payload: object) -> Denial | None:
    """`bad_request` naming the first field that is missing or of the wrong type."""
    shape = SHAPES[event]
    if not isinstance(payload, dict):
        return bad_request(f"{event} takes an object: {{{', '.join(shape)}}}.")
    for name, field in shape.items():
        value = payload.get(name)
        if value is None:
            if field.required:
                return bad_request(f"{name} is missing.")
            continue
        # bool is an int to isinstance; a field that wants a number never wants True.
        if not isinstance(value, field.kind) or (field.kind is not bool
                                                  and isinstance(value, bool)):
            return bad_request(f"{name} must be {field.what}.")
    return None
