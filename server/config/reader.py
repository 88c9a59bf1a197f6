"""Typed reading of parsed TOML, with errors that name the key and its line."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any


class ConfigError(ValueError):
    """A config problem, with the key (and line) that caused it."""

    def __init__(self, key: str, problem: str, line: int | None = None) -> None:
        where = f"{key} (line {line})" if line else key
        super().__init__(f"config error at {where}: {problem}")
        self.key = key
        self.line = line
        self.problem = problem


class Reader:
    """Typed access to the parsed TOML that raises `ConfigError` naming the key."""

    def __init__(self, source: str) -> None:
        self._lines = source.splitlines()

    def line_of(self, key: str) -> int | None:
        # tomllib keeps no positions, so find the key's line from its path: the n-th
        # [[table]] header, then the first line that assigns the last name.
        parts = re.findall(r"[A-Za-z0-9_-]+(?:\[\d+\])?", key)
        start = 0
        for part in parts[:-1]:
            m = re.fullmatch(r"([A-Za-z0-9_-]+)\[(\d+)\]", part)
            if m:
                header = re.compile(rf"^\s*\[\[\s*{re.escape(m[1])}\s*\]\]")
                seen = -1
                for i in range(start, len(self._lines)):
                    if header.match(self._lines[i]):
                        seen += 1
                        if seen == int(m[2]):
                            start = i
                            break
                else:
                    # An inline array (`blocked_terms = [{ ... }]`): its assignment's line.
                    inline = re.compile(rf"^\s*{re.escape(m[1])}\s*=")
                    start = next((i for i in range(start, len(self._lines))
                                  if inline.match(self._lines[i])), start)
            else:
                header = re.compile(rf"^\s*\[\s*(?:[\w.-]+\.)?{re.escape(part)}\s*\]")
                for i in range(start, len(self._lines)):
                    if header.match(self._lines[i]):
                        start = i
                        break
        name = re.sub(r"\[\d+\]$", "", parts[-1]) if parts else ""
        assign = re.compile(rf"^\s*{re.escape(name)}\s*=")
        for i in range(start, len(self._lines)):
            if assign.match(self._lines[i]):
                return i + 1
        return start + 1 if start else None

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(key, problem, self.line_of(key))

    def get(self, table: Mapping[str, Any], name: str, key: str, kind: type | tuple[type, ...],
            default: Any = None, *, required: bool = False) -> Any:
        if name not in table:
            if required:
                raise self.fail(key, "is required")
            return default
        value = table[name]
        # bool is an int in Python; a config that says `capacity = true` is a mistake.
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise self.fail(key, f"must be {_kind_name(kind)}, not a boolean")
        if not isinstance(value, kind):
            raise self.fail(key, f"must be {_kind_name(kind)}")
        return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
             list: "a list", dict: "a table"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)
