"""One registry mechanism for every pluggable part of da_bench.

A :class:`Registry` maps names to objects (classes, factories or specs). Parts are
added with the ``@REGISTRY.register("name")`` decorator, discovered from installed
packages through Python entry points (groups ``da_bench.losses``, ``da_bench.methods``, ...), or loaded from a
plugin file given on the command line (``--plugin path/to/file.py``).
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.util
import sys
import traceback
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Callable, Generic, Iterator, TypeVar

T = TypeVar("T")


class UnknownNameError(KeyError):
    """A name that is not registered; its message lists the valid names, closest first."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want a plain sentence
        return str(self.args[0])


def closest_first(name: str, choices: list[str]) -> list[str]:
    """Valid names ordered by similarity to ``name`` (closest match first)."""
    ranked = sorted(choices, key=lambda c: -difflib.SequenceMatcher(None, name.lower(), c.lower()).ratio())
    return ranked


def unknown_name_message(kind: str, name: str, choices: list[str]) -> str:
    """One sentence naming the bad value, the closest valid one and all valid ones."""
    ranked = closest_first(name, choices)
    hint = f" Did you mean '{ranked[0]}'?" if ranked else ""
    return f"Unknown {kind} '{name}'.{hint} Valid choices: {', '.join(sorted(choices))}."


@dataclass
class Registry(Generic[T]):
    """Name -> object table for one kind of part (``loss``, ``method``, ``backbone`` ...)."""

    kind: str
    entry_point_group: str = ""  # e.g. "da_bench.losses": the group installed packages register under
    _items: dict[str, T] = field(default_factory=dict)
    _entry_points_loaded: bool = False

    def register(self, name: str, obj: T | None = None) -> Any:
        """Register ``obj`` under ``name``; without ``obj`` return a decorator."""

        def add(item: T) -> T:
            if name in self._items and self._items[name] is not item:
                raise ValueError(f"{self.kind} '{name}' is already registered; pick another name for the plugin.")
            self._items[name] = item
            if _loading:
                _loading[-1].names.add(name)
            return item

        return add(obj) if obj is not None else add

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded or not self.entry_point_group:
            return
        self._entry_points_loaded = True
        for ep in entry_points(group=self.entry_point_group):
            if ep.name not in self._items:
                self._items[ep.name] = ep.load()

    def get(self, name: str) -> T:
        self._load_entry_points()
        if name not in self._items:
            raise UnknownNameError(unknown_name_message(self.kind, name, list(self._items)))
        return self._items[name]

    def names(self) -> list[str]:
        self._load_entry_points()
        return sorted(self._items)

    def __contains__(self, name: str) -> bool:
        self._load_entry_points()
        return name in self._items

    def items(self) -> Iterator[tuple[str, T]]:
        self._load_entry_points()
        return iter(sorted(self._items.items()))


class PluginError(ValueError):
    """A plugin file that cannot be imported; the message names the file, the line and the error."""


def _where(err: Exception, path: Path) -> str:
    """'line N: ' of the innermost frame inside the plugin file (or of a syntax error), if any."""
    if isinstance(err, SyntaxError) and err.lineno:
        return f"line {err.lineno}: "
    lines = [f.lineno for f in traceback.extract_tb(err.__traceback__) if Path(f.filename) == path.resolve() or Path(f.filename) == path]
    return f"line {lines[-1]}: " if lines else ""


@dataclass
class PluginFile:
    """A loaded plugin file: the SHA-256 of the bytes that ran, and the names it registered (in any registry)."""

    path: Path
    sha256: str
    names: set[str] = field(default_factory=set)


PLUGIN_FILES: dict[str, PluginFile] = {}  # module name -> loaded plugin file
_loading: list[PluginFile] = []  # the plugin file being executed (its registrations are noted)


def load_plugin_file(path: str | Path) -> None:
    """Import a Python file so that its ``@register`` decorators run; its hash and registered names are kept."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Plugin file '{path}' does not exist; pass the path of a .py file to --plugin.")
    module_name = f"da_bench_plugin_{path.stem}_{abs(hash(str(path.resolve())))}"
    if module_name in sys.modules:
        return
    source = path.read_bytes()  # hashed and executed from the same bytes
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    plugin = PluginFile(path, hashlib.sha256(source).hexdigest())
    _loading.append(plugin)
    try:
        exec(compile(source, str(path), "exec"), module.__dict__)
    except Exception as err:  # noqa: BLE001 - any error inside the user's file is reported in one sentence
        del sys.modules[module_name]
        raise PluginError(f"Plugin file '{path}' failed to load ({_where(err, path)}{type(err).__name__}: {err}); fix the file.") from None
    finally:
        _loading.pop()
    PLUGIN_FILES[module_name] = plugin


def plugin_versions(names: set[str]) -> dict[str, str]:
    """File name -> SHA-256 (12 hex digits) of each loaded plugin file that registered one of ``names``."""
    return {p.path.name: p.sha256[:12] for p in PLUGIN_FILES.values() if p.names & names}


def load_plugins(paths: list[str] | None) -> None:
    for path in paths or []:
        load_plugin_file(path)


Factory = Callable[..., Any]

BACKBONES: Registry[Factory] = Registry("backbone", "da_bench.backbones")
LOSSES: Registry[Any] = Registry("loss", "da_bench.losses")
METHODS: Registry[Any] = Registry("method", "da_bench.methods")
DOMAINS: Registry[Any] = Registry("domain", "da_bench.domains")
LAUNCHERS: Registry[Any] = Registry("launcher", "da_bench.launchers")
VALIDATORS: Registry[Any] = Registry("validator", "da_bench.validators")
