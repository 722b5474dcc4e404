"""Sweep files: methods x domain pairs x seeds x hyperparameter grid (or seeded random search).

```yaml
name: quickstart
base: {backbone: dann_digits, steps: 1000}          # any RunConfig keys
methods: [source_only, dann]
pairs: ["mnist5k->mnistm_like"]                    # or [[source, target], ...]; source may be a list
seeds: [0, 1, 2]
grid: {lr: [0.01, 0.03]}                           # optional cartesian product over config paths
random_search: {trials: 4, seed: 0}                # optional: draws from each method's search space
method_overrides: {dann: {losses: {dann: {width: 100}}}}
cell_overrides:                                    # optional: settings of some methods on some pairs (a paper's per-pair d)
  - {methods: [dann], pairs: ["mnist5k->mnistm_like"], set: {lr: 0.003}}
slurm: {partition: gpu, time_min: 120}              # optional: each run's resources under --launcher slurm
```

Each run's config is ``base``, then its method's ``method_overrides``, then every matching ``cell_overrides`` entry
(``methods`` or ``pairs`` left out match all), then its grid point or random draw.

A sweep may start from another with ``extends: other.yaml`` (a path relative to its own file): the
parent's keys are merged under the child's, so a variant states only what it changes.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from da_bench.config import ConfigError, RunConfig, deep_merge, from_dict, load_yaml, set_path, unknown_key_message
from da_bench.methods import resolve_method, search_space
from da_bench.runner.resources import check_slurm
from da_bench.runner.where import matches, parse_where

SWEEP_KEYS = {"name", "extends", "base", "methods", "pairs", "seeds", "grid", "random_search", "method_overrides", "cell_overrides", "slurm"}
CELL_KEYS = {"methods", "pairs", "set"}
NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")  # a name becomes file names (manifest, tables): nothing that walks paths


@dataclass
class Sweep:
    name: str
    configs: list[RunConfig]
    slurm: dict[str, Any] = field(default_factory=check_slurm)  # resources per run for --launcher slurm


def check_name(name: Any) -> str:
    """A sweep name, which becomes file names, is a plain name: letters, digits, '_', '-', '.', not starting with '.'."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ConfigError(f"Sweep name {name!r} is not a plain name; use only letters, digits, '_', '-' and '.' (not first), e.g. 'digits_long'.")
    return name


def parse_pair(pair: Any) -> tuple[Any, Any]:
    if isinstance(pair, str):
        if "->" not in pair:
            raise ConfigError(f"Domain pair '{pair}' must be written 'source->target'.")
        s, t = (p.strip() for p in pair.split("->", 1))
        return (s.split("+") if "+" in s else s), (None if t in ("", "none", "null") else t)
    if isinstance(pair, (list, tuple)) and len(pair) == 2:
        return pair[0], pair[1]
    raise ConfigError(f"Domain pair {pair!r} must be 'source->target' or [source, target].")


def draw(space: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """One draw: a choice from each list, log-uniform for ("log", lo, hi)."""
    values = {}
    for key, spec in sorted(space.items()):
        if isinstance(spec, (tuple, list)) and len(spec) == 3 and spec[0] == "log":
            values[key] = float(math.exp(rng.uniform(math.log(spec[1]), math.log(spec[2]))))
        else:
            values[key] = rng.choice(list(spec))
    return values


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        set_path(nested, key, value)
    return nested


SEARCH_KEYS = {"trials", "seed"}


def _must(ok: bool, key: str, what: str, value: Any) -> None:
    if not ok:
        raise ConfigError(f"Sweep key '{key}' must be {what}, got {value!r}.")


def _must_be_in_methods(method: str, methods: list[str], key: str) -> None:
    if method not in methods:
        raise ConfigError(f"Sweep key '{key}' names method '{method}', which is not in 'methods' ({', '.join(methods)}); fix the name or add the method.")


def check_shape(data: dict[str, Any]) -> None:
    """Each sweep key holds the kind of value it needs (a list, a mapping ...), named in one sentence."""
    for key in data:
        if key not in SWEEP_KEYS:
            raise ConfigError(unknown_key_message(key, SWEEP_KEYS, "sweep key"))
    for key in ("methods", "pairs", "seeds"):
        if key in data:
            _must(isinstance(data[key], list) and bool(data[key]), key, "a non-empty list (e.g. [a, b])", data[key])
    _must(all(isinstance(m, str) for m in data.get("methods") or []), "methods", "a list of method names", data.get("methods"))
    for key in ("base", "grid", "method_overrides", "random_search"):
        if key in data and data[key] is not None:
            _must(isinstance(data[key], dict), key, "a mapping", data[key])
    for path, values in (data.get("grid") or {}).items():
        _must(isinstance(values, list) and bool(values), f"grid.{path}", "a non-empty list of values to try", values)
    search = data.get("random_search") or {}
    for key in search:
        if key not in SEARCH_KEYS:
            raise ConfigError(unknown_key_message(key, SEARCH_KEYS, "random_search key"))
    trials = search.get("trials", 4)
    _must(isinstance(trials, int) and not isinstance(trials, bool) and trials > 0, "random_search.trials", "a positive number of trials", trials)
    methods = data.get("methods") or []
    for method, over in (data.get("method_overrides") or {}).items():
        _must(isinstance(over, dict), f"method_overrides.{method}", "a mapping of config keys", over)
        if methods:
            _must_be_in_methods(method, methods, "method_overrides")


@dataclass
class CellOverride:
    """Config values for the runs of some methods (None: all) on some pairs (None: all)."""

    methods: list[str] | None
    pairs: list[tuple[Any, Any]] | None
    values: dict[str, Any]

    def matches(self, method: str, pair: tuple[Any, Any]) -> bool:
        return (self.methods is None or method in self.methods) and (self.pairs is None or pair in self.pairs)


def cell_overrides(data: dict[str, Any], methods: list[str], pairs: list[tuple[Any, Any]]) -> list[CellOverride]:
    """The sweep's ``cell_overrides``, each naming only methods and pairs of the sweep."""
    entries = data.get("cell_overrides") or []
    _must(isinstance(entries, list), "cell_overrides", "a list of {methods, pairs, set} mappings", entries)
    cells = []
    for i, entry in enumerate(entries):
        key = f"cell_overrides[{i}]"
        _must(isinstance(entry, dict) and isinstance(entry.get("set"), dict), key, "a mapping with a 'set' mapping (and 'methods', 'pairs')", entry)
        for name in set(entry) - CELL_KEYS:
            raise ConfigError(unknown_key_message(name, CELL_KEYS, f"key of {key}"))
        names = entry.get("methods")
        cell_pairs = None if entry.get("pairs") is None else [parse_pair(p) for p in entry["pairs"]]
        for method in names or []:
            _must_be_in_methods(method, methods, key)
        for pair in cell_pairs or []:
            if pair not in pairs:
                raise ConfigError(f"Sweep key '{key}' names pair {pair[0]}->{pair[1]}, which is not in 'pairs'; fix the pair or add it.")
        cells.append(CellOverride(names, cell_pairs, _nest(entry["set"])))
    return cells


def expand(data: dict[str, Any], overrides: dict[str, Any] | None = None) -> Sweep:
    """All run configs of a sweep, validated before anything runs."""
    check_shape(data)
    slurm = check_slurm(data.get("slurm"))
    name = check_name(data.get("name") or "sweep")
    base = deep_merge(data.get("base") or {}, overrides or {})
    methods = data.get("methods") or [base.get("method", "source_only")]
    pairs = [parse_pair(p) for p in data.get("pairs") or [(base.get("source", "mnist5k"), base.get("target", "mnistm_like"))]]
    seeds = data.get("seeds") or [base.get("seed", 0)]
    grid = data.get("grid") or {}
    grid_points = [dict(zip(grid, values)) for values in itertools.product(*grid.values())] or [{}]
    search = data.get("random_search")
    cells = cell_overrides(data, methods, pairs)
    configs: list[RunConfig] = []
    for method in methods:
        resolve_method(method)
        method_base = deep_merge(base, (data.get("method_overrides") or {}).get(method, {}))
        trials = grid_points
        if search:
            space = search_space(from_dict({**method_base, "method": method}))
            rng = random.Random(f"{search.get('seed', 0)}-{method}")
            trials = [draw(space, rng) for _ in range(int(search.get("trials", 4)))]
        for (source, target), seed, point in itertools.product(pairs, seeds, trials):
            cfg = deep_merge(method_base, {"method": method, "source": source, "target": target, "seed": seed})
            for cell in cells:
                if cell.matches(method, (source, target)):
                    cfg = deep_merge(cfg, cell.values)
            configs.append(from_dict(deep_merge(cfg, _nest(point))))
    return Sweep(name, configs, slurm)


def read_sweep_file(path: str | Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A sweep file's mapping, with the file named by its ``extends`` key merged underneath (less the parent's
    ``method_overrides`` of methods the child's own ``methods`` list leaves out)."""
    path = Path(path).resolve()
    if path in seen:
        raise ConfigError(f"Sweep file '{path}' extends itself through {' -> '.join(p.name for p in seen)}; remove the cycle.")
    data = load_yaml(path)
    if not data:
        raise ConfigError(f"Sweep file '{path}' is empty; give it at least 'methods', 'pairs' or a 'base' (see the README).")
    parent = data.pop("extends", None)
    if parent is None:
        return data
    inherited = read_sweep_file(path.parent / parent, (*seen, path))
    if data.get("methods") and inherited.get("method_overrides"):  # the parent's overrides of methods the child drops go too
        inherited["method_overrides"] = {m: over for m, over in inherited["method_overrides"].items() if m in data["methods"]}
    if inherited.get("cell_overrides") and (data.get("methods") or data.get("pairs")):
        inherited["cell_overrides"] = _kept_cells(inherited["cell_overrides"], data.get("methods"), data.get("pairs"))
    return deep_merge(inherited, data)


def _kept_cells(entries: Any, methods: list[str] | None, pairs: list[Any] | None) -> Any:
    """A parent's ``cell_overrides`` narrowed to the methods and pairs a child sweep keeps (entries left with none go)."""
    if not isinstance(entries, list):
        return entries  # cell_overrides() names the problem
    child = None if not pairs else [parse_pair(p) for p in pairs]
    kept = []
    for entry in entries:
        if not isinstance(entry, dict):
            kept.append(entry)
            continue
        entry = dict(entry)
        if methods and isinstance(entry.get("methods"), list):
            entry["methods"] = [m for m in entry["methods"] if m in methods]
        if child and isinstance(entry.get("pairs"), list):
            entry["pairs"] = [p for p in entry["pairs"] if parse_pair(p) in child]
        if entry.get("methods") != [] and entry.get("pairs") != []:
            kept.append(entry)
    return kept


def load_sweep(path: str | Path, overrides: dict[str, Any] | None = None) -> Sweep:
    return expand(read_sweep_file(path), overrides)


def select(configs: list[RunConfig], where: list[str]) -> list[RunConfig]:
    """The runs matching every ``key=value[,value...]`` condition (e.g. ``seed=0``, ``method=dann,cdan``), in sweep order:
    a slice of a sweep to run first, such as one seed of every method."""
    conditions = parse_where(where)
    chosen = [cfg for cfg in configs if matches(vars(cfg), conditions)]
    if not chosen:
        raise ConfigError(f"--where {' '.join(where)} matches none of the sweep's {len(configs)} runs; check the values against the sweep file.")
    return chosen
