"""Hand-built run records for report tests."""

from __future__ import annotations

from pathlib import Path

from da_bench.runner.records import write_json_atomic


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
