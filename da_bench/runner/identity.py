"""Plugin code is part of a run's identity: a run folder remembers the plugin files its run used (file name and
SHA-256 of their bytes, in ``plugins.json``), and a run whose plugins changed since never reuses its record or
checkpoint. Run ids stay a hash of the config, so runs without plugins keep their ids and records."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from da_bench.config import RunConfig, to_dict
from da_bench.methods import resolve_method
from da_bench.registry import METHODS, VALIDATORS, plugin_versions
from da_bench.runner.locks import LOCK_FILE
from da_bench.runner.records import RECORD, write_json_atomic

PLUGINS = "plugins.json"
STALE = "stale"  # where the files of a run made by other plugin versions are set aside
STALE_RECORD = "record.stale.json"  # not 'record.json': tables never read a set-aside record


def names_in(value: Any) -> set[str]:
    """Every string and mapping key inside a config value (domains, backbone, losses, classifier, ...)."""
    if isinstance(value, dict):
        return set(value) | {n for v in value.values() for n in names_in(v)}
    if isinstance(value, (list, tuple)):
        return {n for v in value for n in names_in(v)}
    return {value} if isinstance(value, str) else set()


def run_plugins(cfg: RunConfig) -> dict[str, str]:
    """File name -> hash of each plugin file that registered a name the run uses: one in its config, a loss of its
    method, or a validator (every evaluation computes them all)."""
    names = names_in(to_dict(cfg)) | set(VALIDATORS.names())
    if cfg.method in METHODS:
        names |= {t.loss for t in resolve_method(cfg.method).losses}
    return plugin_versions(names)


def describe(plugins: dict[str, str]) -> str:
    return ", ".join(f"{name} {sha}" for name, sha in sorted(plugins.items())) or "no plugin"


def claim(folder: Path, plugins: dict[str, str]) -> None:
    """Make ``folder`` the run of ``plugins``: files left by a run of other plugin versions (record, checkpoint,
    logs) move to ``folder/stale`` with one line on stderr, and ``plugins.json`` names the current versions."""
    path = folder / PLUGINS
    before = json.loads(path.read_text()) if path.exists() else {}
    if before == plugins:
        return
    if (folder / RECORD).exists() or (folder / "checkpoints").exists():
        stale = folder / STALE
        shutil.rmtree(stale, ignore_errors=True)
        leftovers = [p for p in folder.iterdir() if p.name != LOCK_FILE]
        stale.mkdir()
        for item in leftovers:
            item.rename(stale / (STALE_RECORD if item.name == RECORD else item.name))
        print(
            f"da-bench: run {folder.name} was made with plugins ({describe(before)}) other than this one's ({describe(plugins)});"
            f" its files are set aside in {stale} and it runs afresh.",
            file=sys.stderr,
            flush=True,
        )
    if plugins:
        write_json_atomic(path, plugins)
    else:
        path.unlink(missing_ok=True)
