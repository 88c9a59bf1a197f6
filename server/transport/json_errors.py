"""The HTTP API's one error shape (DESIGN §3): `{"error": {"code", "message", "field"?}}`,
with `retry_after` (seconds) beside the code when waiting is the answer."""

from __future__ import annotations

from typing import Any

from aiohttp import web


def error(status: int, code: str, message: str, field: str | None = None,
          headers: dict[str, str] | None = None, **extra: Any) -> web.Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        body["field"] = field
    body.update(extra)
    return web.json_response({"error": body}, status=status, headers=headers)
