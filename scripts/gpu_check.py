"""The prepared GPU check (issue 15): the digits DANN step eager and compiled, packed runs, ResNet-50 with AMP.

Trains DANN through da_bench itself (Method + Lightning Trainer) on synthetic in-memory domains held on the device:

1. the digits step (the DANN paper's network and discriminator, 28x28, 64 + 64 images), eager, compiled, and
   compiled with CUDA graphs (``compile_mode: reduce-overhead``);
2. 8, 4 and 1 digits runs packed on the device (one process and one CPU thread each), eager and compiled;
3. the digits step at 256 + 256, eager and compiled;
4. ResNet-50 at 224x224 (random weights, 64 + 64) in bf16-mixed with channels_last, and in fp32 for reference.

Most important first; each row is written to the JSON and Markdown as soon as it is measured, so a timeout loses
nothing already measured. A row that cannot run (compile unavailable, a failure) records why and the plan goes on.
Then the 63-run digits grid at 50,000 steps is extrapolated from the best measured aggregate throughput.

    bash scripts/gpu_check.sh                                            # on a GPU machine (under 8 minutes)
    python scripts/gpu_check.py --device cpu --quick --out /tmp/check   # what can run on a CPU, in seconds
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import pytorch_lightning as pl
import torch
from gpu_check_core import Spec, measure
from gpu_check_packed import run_packed
from gpu_check_report import markdown

from da_bench.cli import import_builtins
from da_bench.methods.compiled import CompileUnavailable

GRID_RUNS, GRID_STEPS, GOAL_MINUTES = 63, 50_000, 15  # issue 15: the digits grid (experiments/digits.yaml) at 50,000 steps
GRID_BATCH = 64  # its batch: 64 source + 64 target images


@dataclass(frozen=True)
class Item:
    """One row of the plan: ``spec`` measured in this process, or in ``processes`` packed workers."""

    section: str  # "step", "packed" or "resnet": the table it goes in
    spec: Spec
    processes: int = 0

    def run(self) -> dict:
        return run_packed(self.spec, self.processes) if self.processes else measure(self.spec)

    def describe(self) -> dict:
        return {"section": self.section, **asdict(self.spec), **({"processes": self.processes} if self.processes else {})}


def plan(device: str, quick: bool) -> list[Item]:
    """The rows in the order they run: most important first."""
    q = quick
    digits = Spec("dann_digits", 28, GRID_BATCH, steps=4 if q else 1000, warmup=2 if q else 100, images=256 if q else 8192, device=device)
    resnet = Spec("resnet50", 64 if q else 224, 2 if q else 64, steps=2 if q else 45, warmup=1 if q else 15, images=16 if q else 512, device=device)
    wide = replace(digits, batch=256, steps=digits.steps // 2, warmup=digits.warmup // 2)
    items = [Item("step", digits), Item("step", replace(digits, compile=True))]
    if not q:  # CUDA graphs: nothing to measure on a CPU, where reduce-overhead compiles as default does
        items.append(Item("step", replace(digits, compile=True, compile_mode="reduce-overhead")))
    for k in (2, 1) if q else (8, 4, 1):  # compiling in every packed worker takes too long for a CPU smoke test
        items += [Item("packed", replace(digits, compile=c), k) for c in ((False,) if q else (False, True))]
    if not q:
        items += [Item("step", wide), Item("step", replace(wide, compile=True))]
    return items + [Item("resnet", replace(resnet, precision="bf16-mixed", channels_last=True)), Item("resnet", resnet)]


def attempt(item: Item) -> dict:
    """The measured row, or the item with the one-sentence reason it could not be measured."""
    try:
        return {"section": item.section, **item.run()}
    except CompileUnavailable as err:
        return {**item.describe(), "reason": str(err)}
    except Exception as err:  # noqa: BLE001 - one failed row must not lose the rest of the lease
        first = str(err).strip().splitlines()[0] if str(err).strip() else ""
        return {**item.describe(), "reason": f"failed: {type(err).__name__}: {first}"}


def grid_throughput(row: dict) -> float:
    """A row's training steps per second over all its processes (a single run is one process)."""
    return row["aggregate_steps_per_s"] if "aggregate_steps_per_s" in row else row["steps_per_s"]


def extrapolate(results: list[dict]) -> dict | None:
    """The 63-run grid's time at the best measured aggregate throughput of the digits step at the grid's batch."""
    candidates = [r for r in results if r["network"] == "dann_digits" and r["batch"] == GRID_BATCH and "reason" not in r]
    if not candidates:
        return None
    best = max(candidates, key=grid_throughput)
    steps_per_s, processes = grid_throughput(best), best.get("processes", 1)
    minutes = GRID_RUNS * GRID_STEPS / steps_per_s / 60
    return {
        "basis": "extrapolated from measured throughput",
        "grid_runs": GRID_RUNS,
        "steps_per_run": GRID_STEPS,
        "steps_per_s": steps_per_s,
        "from": f"{processes} process{'es' if processes > 1 else ''}, {'compiled' if best['compile'] else 'eager'}",
        "minutes": round(minutes, 1),
        "goal_minutes": GOAL_MINUTES,
        "meets_goal": minutes <= GOAL_MINUTES,
    }


def device_name(device: str) -> str:
    if device == "cuda":
        return torch.cuda.get_device_name()
    cpuinfo = Path("/proc/cpuinfo")
    models = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")] if cpuinfo.exists() else []
    return f"CPU: {models[0] if models else platform.machine()}, {os.cpu_count()} cores"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="paper_results/gpu_check_issue15")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, no compiled packing or 256-image rows: a CPU smoke test")
    args = parser.parse_args(argv)
    import_builtins()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    command = "python scripts/gpu_check.py --device cpu --quick" if args.quick else "bash scripts/gpu_check.sh"
    meta = {"device": device_name(args.device), "torch": torch.__version__, "lightning": pl.__version__, "quick": args.quick, "command": command}
    results: list[dict] = []
    for item in plan(args.device, args.quick):
        results.append(attempt(item))
        print(json.dumps(results[-1]), flush=True)
        report = {"meta": meta, "results": results, "extrapolation": extrapolate(results)}
        (out / "gpu_check.json").write_text(json.dumps(report, indent=1))
        (out / "gpu_check.md").write_text(markdown(report))
    print((out / "gpu_check.md").read_text())


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(124))  # `timeout` ends the plan through its cleanup: packed workers are stopped
    main()
