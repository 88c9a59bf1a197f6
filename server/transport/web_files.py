"""Where the page files are: inside an installed wheel, or the repository's web/.

A wheel carries templates, static files and the socket.io client bundle under
`server/_web/` (copied there by setup.py at build time; the bundle is never
committed). Run from a checkout, they come from web/ and web/node_modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

_INSTALLED = Path(__file__).resolve().parents[1] / "_web"
_SOURCE = Path(__file__).resolve().parents[2] / "web"
BUNDLE = "socket.io.min.js"


@dataclass(frozen=True)
class WebFiles:
    templates: Path
    static: Path
    vendor: Path  # the socket.io client bundle, served at /static/vendor/

    def missing(self) -> str | None:
        """One line saying what is missing, or None when everything is there."""
        if not (self.templates / "room.html").is_file():
            return f"page templates not found in {self.templates}"
        if not (self.vendor / BUNDLE).is_file():
            return (f"the browser client bundle is missing ({self.vendor / BUNDLE}): "
                    "run `make setup` (npm ci in web/) or install a wheel built with it")
        return None


def web_files() -> WebFiles:
    if _INSTALLED.is_dir():
        return WebFiles(_INSTALLED / "templates", _INSTALLED / "static", _INSTALLED / "vendor")
    return WebFiles(_SOURCE / "templates", _SOURCE / "static",
                    _SOURCE / "node_modules" / "socket.io-client" / "dist")
