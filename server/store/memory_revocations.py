"""Who may no longer come in, in one process: ended facilitator sessions, the session
epoch and the bans marker (as `server/store/redis_revocations.py` in Redis).

Revocations expire lazily, with the tokens they cover.
"""

from __future__ import annotations

import secrets

# Past this many entries the expired revocations are swept.
REVOCATIONS_SWEEP = 1024


class MemoryRevocations:
    _revoked_tokens: dict[str, float]  # token id → expires_at
    _not_before: dict[str, tuple[float, float]]  # name → (cut-off, expires_at)
    _revocations_high_water: int
    _bans_marker: str
    _session_epoch: str

    async def revoke_token(self, token_id: str, expires_at: float, now: float) -> None:
        self._revoked_tokens[token_id] = expires_at
        self._sweep_revocations(now)

    async def revoke_tokens_before(self, name: str, not_before: float, expires_at: float,
                                   now: float) -> None:
        cut, until = self._not_before.get(name, (not_before, expires_at))
        self._not_before[name] = (max(cut, not_before), max(until, expires_at))
        self._sweep_revocations(now)

    async def bans_marker(self) -> str:
        return self._bans_marker

    async def bans_changed(self) -> None:
        self._bans_marker = secrets.token_hex(8)

    async def session_epoch(self) -> str:
        return self._session_epoch

    async def token_revoked(self, token_id: str, name: str, issued_at: float,
                            now: float, *, epoch: str | None) -> bool:
        if epoch != self._session_epoch:
            return True  # issued by an earlier run of this process: its logouts are gone
        until = self._revoked_tokens.get(token_id)
        if until is not None and until > now:
            return True
        cut = self._not_before.get(name)
        return cut is not None and cut[1] > now and issued_at <= cut[0]

    def _sweep_revocations(self, now: float) -> None:
        if len(self._revoked_tokens) + len(self._not_before) <= self._revocations_high_water:
            return
        self._revoked_tokens = {k: v for k, v in self._revoked_tokens.items() if v > now}
        self._not_before = {k: v for k, v in self._not_before.items() if v[1] > now}
        # Live entries are bounded by logins within one token lifetime; sweep again
        # only once they have doubled, so a sweep costs O(1) per revocation.
        self._revocations_high_water = max(
            REVOCATIONS_SWEEP, 2 * (len(self._revoked_tokens) + len(self._not_before)))
