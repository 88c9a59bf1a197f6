"""The browser modules' import graph has no cycle.

A cycle among ES modules works only while every binding used across it is a hoisted
function declaration; the first `const` or class used at load time breaks the page.
Modules get what they need passed in (`createStaff(ctx)`), and room.js wires them.
"""

from __future__ import annotations

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "web" / "static"

# Comments are dropped first: a comment that mentions an import is not one. Only
# whole-line `//` comments go, so a "//" inside a string (a URL) is left alone.
BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
LINE_COMMENT = re.compile(r"^\s*//.*$", re.MULTILINE)
# `import {a, b} from "./x.js"` (over several lines too), `export ... from "./x.js"`,
# `import "./x.js"`, and `import("./x.js")`.
STATIC_FROM = re.compile(r"^\s*(?:import|export)\b[^;\"']*?\bfrom\s*[\"']([^\"']+)[\"']",
                         re.MULTILINE)
BARE_IMPORT = re.compile(r"^\s*import\s*[\"']([^\"']+)[\"']", re.MULTILINE)
DYNAMIC_IMPORT = re.compile(r"\bimport\s*\(\s*[\"']([^\"']+)[\"']\s*\)")


def specifiers(source: str) -> list[str]:
    code = LINE_COMMENT.sub("", BLOCK_COMMENT.sub("", source))
    return [m.group(1) for pattern in (STATIC_FROM, BARE_IMPORT, DYNAMIC_IMPORT)
            for m in pattern.finditer(code)]


def import_graph(folder: Path) -> dict[str, set[str]]:
    """Module name -> names of the modules in `folder` it imports."""
    graph: dict[str, set[str]] = {}
    for path in sorted(folder.glob("*.js")):
        edges: set[str] = set()
        for spec in specifiers(path.read_text()):
            if not spec.startswith("."):
                continue  # a bare specifier is not one of ours
            target = (path.parent / spec).resolve()
            if target.parent != folder.resolve():
                continue  # vendor/ and the like
            assert target.exists(), f"{path.name} imports {spec}, which does not exist"
            edges.add(target.name)
        graph[path.name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path that ends where it starts, or None."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(node: str) -> list[str] | None:
        path.append(node)
        on_path.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt in on_path:
                return [*path[path.index(nxt):], nxt]
            if nxt not in done and (cycle := visit(nxt)):
                return cycle
        path.pop()
        on_path.discard(node)
        done.add(node)
        return None

    for start in sorted(graph):
        if start not in done and (cycle := visit(start)):
            return cycle
    return None


def test_parser_reads_every_import_form() -> None:
    source = '''
        // import { no } from "./commented.js";
        /* import("./also-commented.js") */
        import { a,
          b } from "./a.js";
        import * as c from './c.js';
        import "./side.js";
        export { d } from "./d.js";
        const e = await import("./e.js");
        const url = "https://example.org/x";
    '''
    assert sorted(specifiers(source)) == ["./a.js", "./c.js", "./d.js", "./e.js", "./side.js"]


def test_find_cycle_names_it() -> None:
    assert find_cycle({"a.js": {"b.js"}, "b.js": {"c.js"}, "c.js": set()}) is None
    assert find_cycle({"a.js": {"b.js"}, "b.js": {"c.js"}, "c.js": {"a.js"}}) == [
        "a.js", "b.js", "c.js", "a.js"]
    assert find_cycle({"a.js": {"a.js"}}) == ["a.js", "a.js"]


def test_web_modules_have_no_import_cycle() -> None:
    graph = import_graph(STATIC)
    # Guards against passing by reading nothing (a moved folder, a broken pattern).
    assert len(graph) > 10, sorted(graph)
    assert sum(len(edges) for edges in graph.values()) > 10, graph
    assert "state.js" in graph["room.js"], graph["room.js"]
    cycle = find_cycle(graph)
    assert cycle is None, f"web/static modules import in a cycle: {' → '.join(cycle or [])}"
