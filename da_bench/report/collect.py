"""Collect run records into cells: (method, pair) -> selected target accuracies over seeds."""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from da_bench.runner.records import iter_records
from da_bench.selection import select_point

METHOD_NAMES = {"source_only": "Source-only", "dann": "DANN", "cdan": "CDAN", "cdan_e": "CDAN+E", "dan": "DAN", "jan": "JAN",
                "coral": "Deep CORAL", "confusion": "Domain confusion", "entropy_min": "Entropy min."}
DOMAIN_NAMES = {"mnist": "MNIST", "mnist_binary": "MNIST-bin", "usps": "USPS", "mnist_m": "MNIST-M", "svhn": "SVHN", "syndigits": "SynDigits", "mnist5k": "MNIST-5k",
                "mnistm_like": "MNIST-M-like", "sklearn_digits": "sk-digits", "office31_amazon": "A", "office31_dslr": "D", "office31_webcam": "W",
                "officehome_art": "Ar", "officehome_clipart": "Cl", "officehome_product": "Pr", "officehome_real_world": "Rw",
                "moons": "Moons", "moons_rot35": "Moons-35"}


def domain_label(domain: Any) -> str:
    if domain is None:
        return "-"
    if isinstance(domain, list):
        return "+".join(domain_label(d) for d in domain)
    return DOMAIN_NAMES.get(domain, domain)


def pair_label(source: Any, target: Any) -> str:
    return f"{domain_label(source)}->{domain_label(target)}"


def method_label(method: str) -> str:
    return METHOD_NAMES.get(method, method)


@dataclass
class Cell:
    values: list[float] = field(default_factory=list)  # selected target test accuracy (%), one per done seed
    expected: int = 0  # runs the sweep manifests expect (0 when no manifest)
    failed: int = 0


@dataclass
class Collected:
    cells: dict[tuple[str, str], Cell]
    methods: list[str]
    pairs: list[str]


def load_manifests(root: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((root / "sweeps").glob("*.json"))] if (root / "sweeps").is_dir() else []


def collect(root: Path, rule: str) -> Collected:
    cells: dict[tuple[str, str], Cell] = defaultdict(Cell)
    methods: list[str] = []
    pairs: list[str] = []

    def note(method: str, pair: str) -> tuple[str, str]:
        if method not in methods:
            methods.append(method)
        if pair not in pairs:
            pairs.append(pair)
        return method, pair

    expected_ids: dict[tuple[str, str], set[str]] = defaultdict(set)
    for manifest in load_manifests(root):
        for run in manifest["runs"]:
            expected_ids[note(run["method"], pair_label(run["source"], run["target"]))].add(run["run_id"])
    seen: set[str] = set()
    for record in iter_records(root):
        cfg = record["config"]
        key = note(cfg["method"], pair_label(cfg["source"], cfg["target"]))
        if record["run_id"] in seen:
            continue
        seen.add(record["run_id"])
        if record.get("status") == "done" and record.get("history"):
            cells[key].values.append(100.0 * select_point(record["history"], rule)["target_test_acc"])
        else:
            cells[key].failed += 1
    for key, ids in expected_ids.items():
        cells[key].expected = len(ids)
    return Collected(dict(cells), methods, pairs)
