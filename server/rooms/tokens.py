"""Signed tokens: facilitator sessions, device ids, member resume tokens and proofs of
an earlier login.

All are ``<kind>.<base64 json>.<base64 hmac>`` signed with the server secret, so a
process can verify a token another process issued without any shared lookup.
Bans key on `device_hash` (an HMAC of the device id), never the token itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from server.models.live import Member


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class FacilitatorSession:
    name: str
    token_id: str
    issued_at: float
    expires_at: float
    epoch: str | None = None  # the live store's session epoch when it was issued


class Signer:
    def __init__(self, secret_key: str) -> None:
        self._key = hashlib.sha256(b"peer-rooms/v1/" + secret_key.encode()).digest()

    def _mac(self, kind: str, body: str) -> str:
        return _b64(hmac.new(self._key, f"{kind}.{body}".encode(), hashlib.sha256).digest())

    def sign(self, kind: str, claims: dict[str, Any]) -> str:
        body = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
        return f"{kind}.{body}.{self._mac(kind, body)}"

    def verify(self, kind: str, token: object, *,
               now: float | None = None) -> dict[str, Any] | None:
        """The claims of a valid token of this kind, or None (never raises)."""
        if not isinstance(token, str) or len(token) > 2048:
            return None
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != kind:
            return None
        if not hmac.compare_digest(parts[2], self._mac(kind, parts[1])):
            return None
        try:
            claims = json.loads(_unb64(parts[1]))
        except ValueError:
            return None
        if not isinstance(claims, dict):
            return None
        exp = claims.get("exp")
        if now is not None and isinstance(exp, int | float) and exp < now:
            return None
        return claims

    def keyed_hash(self, purpose: str, value: str) -> str:
        digest = hmac.new(self._key, f"{purpose}:{value}".encode(), hashlib.sha256).digest()
        return _b64(digest)[:32]


class Tokens:
    """The token kinds the server issues."""

    def __init__(self, secret_key: str) -> None:
        self._signer = Signer(secret_key)

    def new_device(self) -> str:
        return self._signer.sign("d1", {"id": secrets.token_urlsafe(16)})

    def device_id(self, token: object) -> str | None:
        claims = self._signer.verify("d1", token)
        device = claims.get("id") if claims else None
        return device if isinstance(device, str) else None

    def device_hash(self, device_id: str) -> str:
        return self._signer.keyed_hash("ban", device_id)

    def new_facilitator(self, name: str, *, now: float, ttl_s: int,
                        epoch: str) -> tuple[str, float]:
        expires_at = now + ttl_s
        # `jti` and `iat` let a logout or a revocation end this one token, or every
        # token issued to the name until then (the signature alone cannot be undone);
        # `ep`, that the store holding those logouts is still the one it was issued under.
        claims = {"name": name, "exp": expires_at, "iat": now, "jti": secrets.token_urlsafe(12),
                  "ep": epoch}
        return self._signer.sign("f1", claims), expires_at

    def facilitator_session(self, token: object, *, now: float) -> FacilitatorSession | None:
        """The session a well-signed, unexpired facilitator token stands for, or None.

        Whether it was revoked since is the store's to say (`RoomCore.facilitator_of`).
        """
        claims = self._signer.verify("f1", token, now=now)
        if claims is None:
            return None
        name, jti, iat, exp = (claims.get(k) for k in ("name", "jti", "iat", "exp"))
        if not isinstance(name, str) or not isinstance(jti, str) or \
                not isinstance(iat, int | float) or not isinstance(exp, int | float) or \
                isinstance(iat, bool) or isinstance(exp, bool):
            return None
        epoch = claims.get("ep")
        return FacilitatorSession(name, jti, float(iat), float(exp),
                                  epoch if isinstance(epoch, str) else None)

    def new_known_login(self, name: str, *, now: float, ttl_s: int) -> str:
        """Proof that this browser logged in as `name` before (OWASP's "device cookie"):
        its attempts are not held by the account's backoff that strangers' guesses
        raise. It names the account only by a keyed hash."""
        claims = {"acct": self._signer.keyed_hash("known-login", name),
                  "id": secrets.token_urlsafe(12), "exp": now + ttl_s}
        return self._signer.sign("k1", claims)

    def known_login(self, token: object, name: str, *, now: float) -> str | None:
        """The proof's own id when it is valid, unexpired and for `name`; else None."""
        claims = self._signer.verify("k1", token, now=now)
        if claims is None or claims.get("acct") != self._signer.keyed_hash("known-login", name):
            return None
        proof_id = claims.get("id")
        return proof_id if isinstance(proof_id, str) else None

    def new_member(self, member: Member, *, now: float, ttl_s: int) -> str:
        """A resume token: enough to bring the same member back after a reconnect."""
        claims = {"room": member.room, "mid": member.id, "dev": member.device_hash,
                  "handle": member.handle, "role": member.role.value, "fac": member.facilitator,
                  "exp": now + ttl_s}
        return self._signer.sign("m1", claims)

    def member(self, token: object, *, now: float) -> dict[str, Any] | None:
        return self._signer.verify("m1", token, now=now)
