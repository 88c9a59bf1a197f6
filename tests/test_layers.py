"""The layering rules of DESIGN.md section 1, checked on every import.

transport → domain (rooms) → records / store / bus → models; config is read by
everyone and reads nothing above models; moderation is pure policy. One loader
reads the environment and TOML.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "server"
WIRING = {"app", "cli", "keys", "__main__", "__init__"}

# For each layer, the server layers it may import (besides itself).
ALLOWED: dict[str, set[str]] = {
    "transport": {"rooms", "config", "models", "store.base", "bus.base", "records.base"},
    "ops": {"config"},
    "rooms": {"config", "models", "store.base", "bus.base", "records.base"},
    "records": {"models"},
    "store": {"models"},
    "bus": {"models"},
    "config": {"models"},
    "models": set(),
}
TRANSPORT_LIBS = {"aiohttp", "socketio", "engineio", "jinja2"}
ENV_AND_TOML = {"tomllib", "os.environ", "os.getenv", "environ", "getenv"}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def layer_of(module: str) -> str | None:
    """`server.store.redis` → `store`; the wiring modules have no layer."""
    parts = module.split(".")
    if parts[0] != "server" or len(parts) < 2 or parts[1] in WIRING:
        return None
    return parts[1]


def server_files() -> list[Path]:
    return [p for p in SERVER.rglob("*.py") if p.parent != SERVER]


def test_server_top_level_is_wiring_only() -> None:
    top = {p.stem for p in SERVER.glob("*.py")}
    assert top <= WIRING, top - WIRING
    assert {p.name for p in SERVER.iterdir() if p.is_dir() and p.name != "__pycache__"} \
        >= {"transport", "rooms", "store", "bus", "config", "models", "ops"}


@pytest.mark.parametrize("path", server_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_one_way(path: Path) -> None:
    own = path.relative_to(SERVER).parts[0]
    allowed = ALLOWED[own]
    for name in imports(path):
        layer = layer_of(name)
        if layer is None or layer == own:
            continue
        sub = ".".join(name.split(".")[1:3])  # "store.base", "bus.redis", ...
        assert layer in allowed or sub in allowed, \
            f"{path.relative_to(ROOT)} ({own}) imports {name}"
        assert not name.startswith("server.") or layer_of(name) is not None, name


def test_wiring_is_not_imported_by_layers() -> None:
    # The transport reads the typed AppKeys (aiohttp's typedefs pattern); nothing else
    # below the wiring imports it.
    for path in server_files():
        may = {"keys"} if path.relative_to(SERVER).parts[0] == "transport" else set()
        for name in imports(path):
            parts = name.split(".")
            assert not (parts[0] == "server" and len(parts) > 1 and parts[1] in WIRING - may
                        and parts[1] != "__init__"), f"{path.relative_to(ROOT)} imports {name}"


def test_domain_state_and_policy_do_not_import_transport_libraries() -> None:
    files = [*(ROOT / "moderation").rglob("*.py"),
             *(p for layer in ("rooms", "store", "bus", "records", "models", "config")
               for p in (SERVER / layer).rglob("*.py"))]
    assert len(files) > 20
    for path in files:
        top = {name.split(".")[0] for name in imports(path)}
        assert not top & TRANSPORT_LIBS, f"{path.relative_to(ROOT)} imports {top & TRANSPORT_LIBS}"


def test_moderation_never_imports_server() -> None:
    files = list((ROOT / "moderation").rglob("*.py"))
    assert len(files) > 5
    for path in files:
        assert not any(n.split(".")[0] == "server" for n in imports(path)), path


def test_only_the_config_layer_reads_env_and_toml() -> None:
    readers = []
    for path in [*SERVER.rglob("*.py"), *(ROOT / "moderation").rglob("*.py")]:
        text = path.read_text()
        if any(word in text for word in ("tomllib", "os.environ", "os.getenv", "getenv(")):
            readers.append(path.relative_to(ROOT).as_posix())
    assert readers, "the config loader must read something"
    assert all(r.startswith("server/config/") for r in readers), readers


def test_the_checker_sees_a_crossing() -> None:
    # The rules above would fail on a store importing the domain, so they are live.
    own, name = "store", "server.rooms.core"
    assert layer_of(name) not in ALLOWED[own]
    assert layer_of("server.store.redis") == "store" and layer_of("server.app") is None
