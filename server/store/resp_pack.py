"""A Redis command as RESP bytes, for the plain commands the store sends.

redis-py packs each argument through its `Encoder` and grows one bytes object argument
by argument; for the post script's ~35 arguments that was ~270k instructions per
send, more than the round trip's own write, read and parse together (callgrind,
docs/performance.md item 21). This packs the common case (every argument exactly
bytes, str, int or float, a command name of letters, UTF-8) in one pass and one
join, to the same bytes redis-py writes; anything else returns None and goes redis-py's
way (its errors for a bool or an unknown type included).
"""

from __future__ import annotations

from collections.abc import Sequence

# "$<length>\r\n" for the lengths most arguments have, made once (formatting it per
# argument was a third of the packing).
_HEADS = tuple(b"$%d\r\n" % n for n in range(512))


def pack_plain(args: Sequence[object]) -> list[bytes] | None:
    """`args` (command name first) as one RESP array of bulk strings, or None when an
    argument is not one of the four plain types."""
    if not args:
        return None
    name = args[0]
    # Letters only: redis-py splits a name with whitespace ("CONFIG GET") into arguments.
    if type(name) not in (str, bytes) or not name.isalpha():  # type: ignore[attr-defined]
        return None
    parts = [b"*%d\r\n" % len(args)]
    append, heads = parts.append, _HEADS
    for arg in args:
        kind = type(arg)
        if kind is str:
            data = arg.encode()  # type: ignore[attr-defined]
        elif kind is bytes:
            data = arg
        elif kind is int or kind is float:
            data = repr(arg).encode()  # redis-py's own form of a number
        else:
            return None
        size = len(data)
        append(heads[size] if size < 512 else b"$%d\r\n" % size)
        append(data)
        append(b"\r\n")
    return [b"".join(parts)]
