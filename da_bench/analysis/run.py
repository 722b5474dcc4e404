"""``da-bench analyze``: for each finished deep run, t-SNE plots, the proxy A-distance, per-class accuracy with a
confusion matrix, and a reliability diagram with the ECE, written under ``RUN_DIR/analysis/``; the numbers also go
into the run's record as ``record["analysis"]`` (written atomically, under the run's lock).

Source features come from the source validation split by default (held out from training, like the target test
split), or from the source training split (read with evaluation preprocessing). The A-distance and the t-SNE use
the same seeded subsample: equally many samples per domain, at most ``per_domain`` each. Per-class accuracy, the
confusion matrix and the ECE use the whole target test split.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from da_bench.analysis.a_distance import MIN_SAMPLES, proxy_a_distance
from da_bench.analysis.calibration import BINS, Reliability, confidence_and_prediction, plot_reliability, reliability
from da_bench.analysis.load import SOURCE_SPLITS, AnalysisError, NotAnalysable, finished_record, load_checkpoint, outputs, rebuild
from da_bench.analysis.per_class import confusion_matrix, mean_per_class, per_class_accuracy, plot_confusion
from da_bench.analysis.tsne import embed, plot_embedding
from da_bench.data.domains import DataError
from da_bench.registry import UnknownNameError
from da_bench.runner.locks import holder, run_lock
from da_bench.runner.records import RECORD, read_record, write_json_atomic
from da_bench.runner.resume import batches_done

ANALYSIS_DIR = "analysis"
RUNS_DIR = "runs"  # as da_bench.runner.execute.RUNS: a run or sweep's --out keeps its runs there


@dataclass(frozen=True)
class Settings:
    source_split: str = "val"  # a key of SOURCE_SPLITS
    per_domain: int = 1000  # samples per domain for the A-distance and the t-SNE
    bins: int = BINS
    seed: int = 0


def subsample(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    return np.sort(rng.permutation(n)[:k])


def finite(values: np.ndarray) -> list[float | None]:
    """JSON-safe: NaN (an empty bin) as null."""
    return [None if math.isnan(v) else float(v) for v in values]


def reliability_json(rel: Reliability) -> dict[str, Any]:
    return {"edges": rel.edges.tolist(), "counts": rel.counts.tolist(), "accuracy": finite(rel.accuracy), "confidence": finite(rel.confidence)}


def analyze_run(folder: Path, settings: Settings) -> dict[str, Any]:
    """Analyse the finished run in ``folder``: plots and ``analysis.json`` under ``folder/analysis``, and the numbers
    in its record; returns them. Raises :class:`AnalysisError` for a run that cannot be analysed."""
    with run_lock(folder) as held:
        if not held:
            raise AnalysisError(f"Run {folder.name} is locked by another process ({holder(folder)}); analyse it once that process has ended.")
        record = finished_record(folder)
        checkpoint = load_checkpoint(folder)
        dm, model = rebuild(record, checkpoint)
        source = outputs(model, dm, SOURCE_SPLITS[settings.source_split], "source")
        target = outputs(model, dm, "target_test", "target")
        cfg, step = record["config"], batches_done(checkpoint)
        title = f"{cfg['method']} {cfg['source']} -> {cfg['target']}, seed {cfg['seed']}, step {step}"
        out = folder / ANALYSIS_DIR

        confidence, predicted = confidence_and_prediction(target.logits)
        confusion = confusion_matrix(target.labels, predicted, dm.num_classes)
        accuracies = per_class_accuracy(confusion)
        rel = reliability(confidence, predicted == target.labels, settings.bins)
        rng = np.random.default_rng(settings.seed)
        m = min(len(source.labels), len(target.labels), settings.per_domain)
        if m < MIN_SAMPLES:
            raise AnalysisError(
                f"Run {folder.name} has {len(source.labels)} {SOURCE_SPLITS[settings.source_split]} and {len(target.labels)} target test samples, "
                f"fewer than the {MIN_SAMPLES} per domain the A-distance needs; pass --source-split train (or a larger --per-domain)."
            )
        s_idx, t_idx = subsample(len(source.labels), m, rng), subsample(len(target.labels), m, rng)
        a = proxy_a_distance(source.features[s_idx], target.features[t_idx], seed=settings.seed)
        points = embed(np.concatenate([source.features[s_idx], target.features[t_idx]]), settings.seed)
        is_source = np.arange(2 * m) < m
        files = plot_embedding(
            points, is_source, np.concatenate([source.labels[s_idx], target.labels[t_idx]]), out / "tsne_domain.png", out / "tsne_class.png", title
        )
        files.append(plot_confusion(confusion, out / "confusion.png", f"{title}\ntarget test, rows: true class"))
        files.append(plot_reliability(rel, out / "reliability.png", f"{title}\ntarget test"))

        numbers = {
            "step": step,
            "source_split": SOURCE_SPLITS[settings.source_split],
            "samples": {"source": len(source.labels), "target_test": len(target.labels), "per_domain": m},
            "seed": settings.seed,
            "a_distance": a.distance,
            "a_distance_error": a.error,
            "ece": rel.ece,
            "ece_bins": settings.bins,
            "target_test_acc": float((predicted == target.labels).mean()),
            "target_test_per_class": accuracies,
            "target_test_mean_per_class": mean_per_class(accuracies),
            "files": [str(p.relative_to(folder)) for p in files] + [f"{ANALYSIS_DIR}/analysis.json"],
        }
        write_json_atomic(out / "analysis.json", {**numbers, "confusion": confusion.tolist(), "reliability": reliability_json(rel)})
        record = read_record(folder) or record
        record["analysis"] = numbers
        write_json_atomic(folder / RECORD, record)
        return numbers


def run_folders(path: Path) -> list[Path]:
    """``path`` where it holds a record, else the run folders under it (a run or sweep's --out keeps them in runs/)."""
    if (path / RECORD).exists():
        return [path]
    runs = path / RUNS_DIR if (path / RUNS_DIR).is_dir() else path
    return sorted(p.parent for p in runs.glob(f"*/{RECORD}"))


def summary(folder: Path, numbers: dict[str, Any]) -> str:
    mean = numbers["target_test_mean_per_class"]
    return (
        f"analysed {folder}: A-distance {numbers['a_distance']:.3f}, ECE {100 * numbers['ece']:.2f} %, "
        f"target test {100 * numbers['target_test_acc']:.2f} % (mean per class {100 * mean:.2f} %) -> {folder / ANALYSIS_DIR}"
    )


def analyze(paths: list[Path], settings: Settings) -> int:
    """Analyse every run folder named or found under ``paths``; 0 when all were analysed, 1 when any failed. Under a
    folder of runs (a sweep's --out), runs that are unfinished, failed or classic are reported as skipped."""
    failed = 0
    for path in paths:
        if not path.is_dir():
            print(f"da-bench: error: {path} is not a folder; pass a run folder (OUT/runs/<run id>) or a sweep's --out folder.", file=sys.stderr)
            failed += 1
            continue
        folders = run_folders(path)
        if not folders:
            print(f"da-bench: error: {path} holds no {RECORD} (nor runs/*/{RECORD}); pass a run folder or a sweep's --out folder.", file=sys.stderr)
            failed += 1
        named = folders == [path]
        for folder in folders:
            try:
                print(summary(folder, analyze_run(folder, settings)), flush=True)
            except NotAnalysable as err:
                print(f"da-bench: {'error' if named else 'skipped'}: {err}", file=sys.stderr, flush=True)
                failed += named
            except (ValueError, DataError, UnknownNameError) as err:  # AnalysisError, ConfigError: the next folder still gets analysed
                print(f"da-bench: error: {err}", file=sys.stderr, flush=True)
                failed += 1
            except Exception as err:  # noqa: BLE001 - one run's unexpected failure must not stop the others
                reason = (str(err).strip().splitlines() or [""])[0][:200]
                message = f"analysing {folder} raised {type(err).__name__} ({reason}); report it with that run's record.json"
                print(f"da-bench: error: {message}.", file=sys.stderr, flush=True)
                failed += 1
    return 1 if failed else 0
