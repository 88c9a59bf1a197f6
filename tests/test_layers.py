"""The layering rule, checked: domain and policy never import the transport."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRANSPORT = {"aiohttp", "socketio", "engineio", "jinja2"}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_domain_and_policy_do_not_import_transport() -> None:
    files = [*(ROOT / "moderation").rglob("*.py"), *(ROOT / "server" / "rooms").rglob("*.py"),
             *(ROOT / "server" / "store").rglob("*.py"), *(ROOT / "server" / "bus").rglob("*.py")]
    assert len(files) > 10
    for path in files:
        top = {name.split(".")[0] for name in imports(path)}
        assert not top & TRANSPORT, f"{path.relative_to(ROOT)} imports {top & TRANSPORT}"


def test_moderation_never_imports_server() -> None:
    for path in (ROOT / "moderation").rglob("*.py"):
        assert not any(n.split(".")[0] == "server" for n in imports(path)), path
