"""The one refusal value every rule returns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Denial:
    """A refusal: a stable ``code`` for programs and a kind ``message`` for people.

    ``retry_after`` (seconds) is set only when waiting will help
    (``rate_limited``, ``slow_mode``).
    """

    code: str
    message: str
    retry_after: float | None = None

    def to_wire(self) -> dict[str, object]:
        """The ``error`` object of a failed acknowledgement (DESIGN §3)."""
        wire: dict[str, object] = {"code": self.code, "message": self.message}
        if self.retry_after is not None:
            wire["retry_after"] = self.retry_after
        return wire


def bad_request(message: str) -> Denial:
    """A ``bad_request`` denial; ``message`` names the field that was wrong."""
    return Denial("bad_request", message)
