"""Jinja2 pages with autoescaping on, from the templates in `web_files()`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from server.transport.web_files import web_files


class Templates:
    def __init__(self, directory: Path | None = None) -> None:
        directory = directory or web_files().templates
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(directory),
            autoescape=jinja2.select_autoescape(default=True),
            undefined=jinja2.StrictUndefined,
        )

    def render(self, template: str, status: int = 200, **context: Any) -> web.Response:
        body = self._env.get_template(template).render(**context)
        return web.Response(text=body, status=status, content_type="text/html")
