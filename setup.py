"""Build hook: a wheel carries the page files and the socket.io client bundle.

Everything else about the package is in pyproject.toml. The bundle comes from
web/node_modules (npm ci in web/, never committed) and is copied into the wheel
under server/_web/vendor/ at build time; a wheel build without it fails loudly.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
WEB = ROOT / "web"
DIST = WEB / "node_modules" / "socket.io-client" / "dist"
BUNDLE_FILES = ("socket.io.min.js", "socket.io.min.js.map")


class BuildPyWithWeb(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install serves web/ from the checkout itself
        target = Path(self.build_lib) / "server" / "_web"
        missing = [name for name in BUNDLE_FILES if not (DIST / name).is_file()]
        if missing:
            raise SystemExit(f"error: {DIST} lacks {', '.join(missing)}: "
                             "run `npm ci` in web/ (or `make setup`) before building")
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(WEB / "templates", target / "templates")
        shutil.copytree(WEB / "static", target / "static")
        (target / "vendor").mkdir(parents=True)
        for name in BUNDLE_FILES:
            shutil.copy2(DIST / name, target / "vendor" / name)


setup(cmdclass={"build_py": BuildPyWithWeb})
