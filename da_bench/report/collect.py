"""Collect run records into cells: (method, pair) -> the chosen hyperparameters' selected target accuracies over seeds."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from da_bench.report.hparams import Cell, choose
from da_bench.runner.records import RECORD
from da_bench.runner.where import matches, parse_where, recorded_config

METHOD_NAMES = {
    "source_only": "Source-only",
    "dann": "DANN",
    "cdan": "CDAN",
    "cdan_e": "CDAN+E",
    "dan": "DAN",
    "jan": "JAN",
    "coral": "Deep CORAL",
    "confusion": "Domain confusion",
    "entropy_min": "Entropy min.",
    "mcc": "MCC",
    "dann_bsp": "BSP+DANN",
    "cdan_bsp": "BSP+CDAN",
    "afn": "AFN",
    "mcd": "MCD",
    "mdd": "MDD",
    "adda": "ADDA",
    "fixmatch": "FixMatch",
    "shot": "SHOT",
    "tent": "TENT",
    "bn_adapt": "BN adaptation",
}
DOMAIN_NAMES = {
    "mnist": "MNIST",
    "mnist_binary": "MNIST-bin",
    "usps": "USPS",
    "mnist_m": "MNIST-M",
    "svhn": "SVHN",
    "syndigits": "SynDigits",
    "mnist5k": "MNIST-5k",
    "mnistm_like": "MNIST-M-like",
    "sklearn_digits": "sk-digits",
    "office31_amazon": "A",
    "office31_dslr": "D",
    "office31_webcam": "W",
    "officehome_art": "Ar",
    "officehome_clipart": "Cl",
    "officehome_product": "Pr",
    "officehome_real_world": "Rw",
    "office_caltech_amazon": "Amazon",
    "office_caltech_caltech": "Caltech",
    "office_caltech_dslr": "DSLR",
    "office_caltech_webcam": "Webcam",
    "moons": "Moons",
    "moons_rot35": "Moons-35",
}


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
class Collected:
    cells: dict[tuple[str, str], Cell]
    methods: list[str]
    pairs: list[str]


FIX = "delete its run folder and run the sweep again to redo the run"


def read_json(path: Path, what: str, fix: str) -> Any:
    """A JSON file's content; an empty or corrupt file stops the table with one sentence naming it."""
    text = path.read_bytes().decode(errors="replace")  # binary garbage fails below as invalid JSON, naming the file
    if not text.strip():
        raise ValueError(f"{what} '{path}' is empty; {fix}.")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"{what} '{path}' is not valid JSON ({err.msg} at line {err.lineno}); {fix}.") from None


def lacking(data: Any, keys: list[str]) -> list[str]:
    """The keys a JSON object lacks, quoted; or why it is not one."""
    return [repr(k) for k in keys if k not in data] if isinstance(data, dict) else ["a JSON object at the top"]


def read_records(root: Path) -> list[dict[str, Any]]:
    """Every run record under ``root``. Unlike the sweep's resume check, a table refuses a record it cannot
    read (empty, corrupt, or without its config, status or history), rather than leaving a seed out unsaid."""
    records = []
    for path in sorted(Path(root).rglob(RECORD)):
        record = read_json(path, "Run record", FIX)
        missing = lacking(record, ["run_id", "status", "config"])
        if not missing:
            missing = lacking(record, ["history"] if record["status"] == "done" else []) + [
                f"config {m}" for m in lacking(record["config"], ["method", "source", "target"])
            ]
        if missing:
            raise ValueError(f"Run record '{path}' lacks {', '.join(missing)}; {FIX}.")
        records.append(record)
    return records


def load_manifests(root: Path) -> list[dict[str, Any]]:
    """The sweeps' manifests (``sweeps/<name>.json``), each checked for the keys the expected counts need."""
    fix = "delete it (the next sweep writes it again)"
    manifests = [(p, read_json(p, "Sweep manifest", fix)) for p in sorted((root / "sweeps").glob("*.json"))] if (root / "sweeps").is_dir() else []
    for path, manifest in manifests:
        missing = lacking(manifest, ["runs"]) or [m for run in manifest["runs"] for m in lacking(run, ["method", "source", "target", "seed"])]
        if missing:
            raise ValueError(f"Sweep manifest '{path}' lacks {', '.join(sorted(set(missing)))}; {fix}.")
    return [manifest for _, manifest in manifests]


def collect(root: Path, rule: str, where: list[str] | None = None) -> Collected:
    """Cells of the runs under ``root``: per (method, pair), the hyperparameter setting chosen by ``rule``
    (see :mod:`da_bench.report.hparams`) and its selected accuracies; the manifests' seeds as expected counts.
    ``where`` (``key=value[,value]`` conditions) keeps the runs whose config meets them."""
    return collect_rules(root, [rule], where)[rule]


def collect_rules(root: Path, rules: list[str], where: list[str] | None = None) -> dict[str, Collected]:
    """:func:`collect` for several rules, reading the records and manifests once."""
    conditions = parse_where(where or [])
    every = read_records(root)
    configs = {r["run_id"]: recorded_config(r["config"]) for r in every}  # a recorded run is judged by its whole config
    records = [r for r in every if matches(configs[r["run_id"]], conditions)]
    if conditions and not records:
        raise ValueError(f"--where {' '.join(where or [])} matches none of the run records under '{root}'; check the values against the sweep file.")
    methods: list[str] = []
    pairs: list[str] = []

    def note(method: str, pair: str) -> tuple[str, str]:
        if method not in methods:
            methods.append(method)
        if pair not in pairs:
            pairs.append(pair)
        return method, pair

    expected_seeds: dict[tuple[str, str], set[Any]] = defaultdict(set)
    for manifest in load_manifests(root):
        for run in manifest["runs"]:  # a run not yet recorded meets the conditions on the keys its manifest entry holds
            if run["target"] is not None and matches({**configs.get(run.get("run_id"), {}), **run}, conditions):
                expected_seeds[note(run["method"], pair_label(run["source"], run["target"]))].add(run["seed"])
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    seen: set[str] = set()
    without_target = 0
    for record in records:
        cfg = record["config"]
        if cfg["target"] is None:  # mode 'multitask': no target accuracy to rank
            without_target += 1
            continue
        key = note(cfg["method"], pair_label(cfg["source"], cfg["target"]))
        if record["run_id"] not in seen:
            seen.add(record["run_id"])
            groups[key].append(record)
    if without_target:
        why = "no target domain (mode 'multitask'), so no target accuracy to rank; their per-task source-validation accuracies are in runs/<id>/record.json"
        if not methods:
            raise ValueError(f"The runs under '{root}' have {why}.")
        print(f"da-bench table: left out {without_target} run(s) under '{root}' with {why}.", file=sys.stderr)
    if not methods:
        raise ValueError(f"No run records (runs/<id>/record.json) or sweep manifests under '{root}'; pass the --out folder of a sweep that has run.")
    collected = {}
    for rule in rules:
        cells = {key: choose(records, rule) for key, records in groups.items()}
        for key, seeds in expected_seeds.items():
            cells.setdefault(key, Cell()).expected = len(seeds)
        collected[rule] = Collected(cells, methods, pairs)
    return collected
