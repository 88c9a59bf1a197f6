"""Facilitator passphrases, stored only as salted scrypt hashes.

Format: ``scrypt$n$r$p$<salt hex>$<hash hex>`` so the cost can be raised later
without breaking hashes already in operators' config files.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

_N, _R, _P = 2**14, 8, 1
_DKLEN = 32


def hash_passphrase(passphrase: str, *, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(passphrase.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=_DKLEN)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def is_valid_hash(stored: str) -> bool:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return False
    try:
        n, r, p = (int(x) for x in parts[1:4])
        bytes.fromhex(parts[4])
        return len(bytes.fromhex(parts[5])) > 0 and n > 1 and r > 0 and p > 0
    except ValueError:
        return False


def verify_passphrase(passphrase: str, stored: str) -> bool:
    if not is_valid_hash(stored):
        return False
    _, n, r, p, salt, expected = stored.split("$")
    expected_bytes = bytes.fromhex(expected)
    digest = hashlib.scrypt(
        passphrase.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
        dklen=len(expected_bytes), maxmem=128 * 1024 * 1024,
    )
    return hmac.compare_digest(digest, expected_bytes)


# Verifying against this when the name is unknown keeps the answer's timing the same
# for unknown names and wrong passphrases.
DUMMY_HASH = hash_passphrase("not-a-real-passphrase", salt=b"\x00" * 16)
