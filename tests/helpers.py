"""Hand-built run records for report tests."""
from __future__ import annotations

from pathlib import Path

from da_bench.runner.records import write_json_atomic


def fake_record(root: Path, run_id: str, method: str, source: str, target: str, seed: int, final_acc: float | None,
                history: list[dict] | None = None, status: str = "done") -> None:
    history = history if history is not None else ([{"step": 1, "source_val_acc": 0.5, "target_test_acc": final_acc}] if final_acc is not None else [])
    write_json_atomic(root / "runs" / run_id / "record.json", {
        "run_id": run_id, "status": status, "reason": None if status == "done" else "boom",
        "config": {"method": method, "source": source, "target": target, "seed": seed}, "history": history,
        "final": history[-1] if history else None})


def fake_manifest(root: Path, name: str, runs: list[tuple[str, str, str, str, int]]) -> None:
    write_json_atomic(root / "sweeps" / f"{name}.json", {"name": name, "runs": [
        {"run_id": r, "method": m, "source": s, "target": t, "seed": seed} for r, m, s, t, seed in runs]})
