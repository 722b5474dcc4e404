"""Hand-built run records for report tests."""

from __future__ import annotations

import functools
import importlib.util
import sys
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Iterator

from da_bench.runner.records import write_json_atomic

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


@functools.cache
def script_module(name: str) -> ModuleType:
    """``scripts/<name>.py`` imported as a module (once), so a test calls its functions in this process."""
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_record(
    root: Path,
    run_id: str,
    method: str,
    source: str,
    target: str,
    seed: int,
    final_acc: float | None,
    history: list[dict] | None = None,
    status: str = "done",
    config: dict | None = None,
) -> None:
    """A record; ``config`` adds keys (hyperparameters) to its config."""
    history = history if history is not None else ([{"step": 1, "source_val_acc": 0.5, "target_test_acc": final_acc}] if final_acc is not None else [])
    write_json_atomic(
        root / "runs" / run_id / "record.json",
        {
            "run_id": run_id,
            "status": status,
            "reason": None if status == "done" else "boom",
            "config": {"method": method, "source": source, "target": target, "seed": seed, **(config or {})},
            "history": history,
            "final": history[-1] if history else None,
        },
    )


def lr_trial(root: Path, lr: float, seed: int, points: list[tuple[float, float]]) -> None:
    """A DANN MNIST->USPS record of one grid trial (run id '<lr>-<seed>'): one evaluation point per
    (source-val accuracy, target test accuracy) pair."""
    history = [{"step": i, "source_val_acc": sv, "target_test_acc": tt} for i, (sv, tt) in enumerate(points, 1)]
    fake_record(root, f"{lr}-{seed}", "dann", "mnist", "usps", seed, None, config={"lr": lr}, history=history)


def fake_manifest(root: Path, name: str, runs: list[tuple[str, str, str, str, int]]) -> None:
    write_json_atomic(
        root / "sweeps" / f"{name}.json",
        {"name": name, "runs": [{"run_id": r, "method": m, "source": s, "target": t, "seed": seed} for r, m, s, t, seed in runs]},
    )


def step_outputs(features: int = 16, classes: int = 4, n: int = 8, seed: int = 0, progress: float = 0.5):
    """Random network outputs for one step, with gradients, the target shifted by +0.5."""
    import torch

    from da_bench.losses import StepOutputs

    g = torch.Generator().manual_seed(seed)
    fs = torch.randn(n, features, generator=g, requires_grad=True)
    ft = (torch.randn(n, features, generator=g) + 0.5).requires_grad_()
    ls = torch.randn(n, classes, generator=g, requires_grad=True)
    lt = torch.randn(n, classes, generator=g, requires_grad=True)
    return StepOutputs(fs, ft, ls, lt, torch.randint(0, classes, (n,), generator=g), progress=progress)


KILL_AT_BATCH = """
import os, sys
from pathlib import Path
import pytorch_lightning as pl
import da_bench.runner.execute as ex
from da_bench.builtins import import_builtins
from da_bench.config import from_dict
from da_bench.registry import load_plugin_file

class Kill(pl.Callback):  # dies like a SIGKILL: no clean-up, no record
    def on_train_batch_start(self, trainer, *args):
        if trainer.fit_loop.epoch_loop.batch_progress.total.completed == int(sys.argv[2]):
            os._exit(9)

make_trainer = ex.make_trainer
ex.make_trainer = lambda cfg, folder: make_trainer(cfg, folder, [Kill()])
import_builtins()
for plugin in sys.argv[4:]:
    load_plugin_file(plugin)
ex.execute(from_dict(eval(sys.argv[3])), Path(sys.argv[1]))
"""


def killed_and_resumed(config: dict, root: Path, kill_at_batch: int, plugin: Path | None = None) -> tuple[dict, dict]:
    """The records of ``config`` run whole (under ``root/whole``) and run in a subprocess killed at the start of
    training batch ``kill_at_batch``, then resumed (under ``root/resumed``); asserts the kill left no record."""
    import subprocess
    import sys

    from da_bench.config import from_dict
    from da_bench.runner.execute import execute, run_dir

    cfg = from_dict(config)
    whole = execute(cfg, root / "whole")
    args = [str(root / "resumed"), str(kill_at_batch), repr(config), *([str(plugin)] if plugin else [])]
    killed = subprocess.run([sys.executable, "-c", KILL_AT_BATCH, *args], capture_output=True, text=True)
    assert killed.returncode == 9, killed.stderr[-2000:]
    assert not (run_dir(cfg, root / "resumed") / "record.json").exists()
    return whole, execute(cfg, root / "resumed")


# a tiny deep run on the DANN paper's two-moons toy (a few seconds); tests change what they need
TOY_RUN = {
    "backbone": "mlp",
    "backbone_args": {"hidden": [16]},
    "head_hidden": [],
    "source": "moons",
    "target": "moons_rot35",
    "steps": 40,
    "eval_every": 10,
    "batch_size": 16,
    "validator_samples": 50,
    "threads": 1,
}


# a tiny deep run of the real CLI on the DANN toy (a few seconds): add method=... and --out
TOY_CLI = [
    "source=moons",
    "target=moons_rot35",
    "backbone=mlp",
    "head_hidden=[]",
    "steps=40",
    "eval_every=20",
    "batch_size=16",
    "validator_samples=50",
    "threads=1",
]


def run_in_process(capsys, out: Path, *args: str) -> tuple[dict, Path]:
    """``da-bench run ARGS --out OUT`` in this process (no interpreter start-up); its record and run folder."""
    import json

    from da_bench.cli import main

    assert main(["run", *args, "--out", str(out)]) == 0
    folder = out / "runs" / json.loads(capsys.readouterr().out.strip().splitlines()[-1])["run_id"]
    return json.loads((folder / "record.json").read_text()), folder


def methods_listing(capsys, *options: str) -> str:
    """What ``da-bench OPTIONS methods`` prints (options such as ``--plugin FILE``), run in this process."""
    from da_bench.cli import main

    assert main([*options, "methods"]) == 0
    return capsys.readouterr().out


@contextmanager
def plugins_forgotten_after() -> Iterator[None]:
    """Plugin files loaded inside (``--plugin`` of an in-process ``main``) are forgotten on leaving, as by a new
    process: every registry, the table of loaded plugin files and ``sys.modules`` are as they were before, so other
    tests see the built-in parts alone and a later load of the same path runs the file again."""
    from da_bench import registry
    from da_bench.classic.classifiers import CLASSIFIERS

    registries = [r for r in vars(registry).values() if isinstance(r, registry.Registry)] + [CLASSIFIERS]
    saved = [(dict(r._items), r._entry_points_loaded) for r in registries]
    files = dict(registry.PLUGIN_FILES)
    try:
        yield
    finally:
        for r, (items, entry_points_loaded) in zip(registries, saved):
            r._items.clear()
            r._items.update(items)
            r._entry_points_loaded = entry_points_loaded
        for module_name in set(registry.PLUGIN_FILES) - set(files):
            sys.modules.pop(module_name, None)
        registry.PLUGIN_FILES.clear()
        registry.PLUGIN_FILES.update(files)
