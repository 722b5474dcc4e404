"""A finished deep run, reloaded for analysis: its record checked, its network rebuilt from the record's config and
its final checkpoint (read with ``weights_only=True``: tensors and plain values, no code), and its features and
logits on a source split and the target test split.

The network is the one at the end of training (``checkpoints/last.ckpt``, the runner's rolling checkpoint), whatever
evaluation point a selection rule picks for the headline. Test-time methods (TENT, BN adaptation) are analysed as
their trained network predicts, without the online adaptation their evaluation applies to target splits.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from da_bench.runner.records import RECORD, read_record

CHECKPOINT = Path("checkpoints") / "last.ckpt"
SOURCE_SPLITS = {"val": "source_val", "train": "source_train"}


class AnalysisError(ValueError):
    """A run folder that cannot be analysed; the message is one sentence naming the problem and the fix."""


class NotAnalysable(AnalysisError):
    """A run with nothing to analyse yet or ever (unfinished, failed, classic); skipped inside a folder of runs."""


@dataclass
class Outputs:
    """One split's features (what the heads read), label logits and true labels, as NumPy arrays."""

    features: np.ndarray
    logits: np.ndarray
    labels: np.ndarray


def finished_record(folder: Path) -> dict[str, Any]:
    """The record of a finished deep run in ``folder`` with a checkpoint, or an :class:`AnalysisError` saying why not."""
    from da_bench.classic.spec import is_classic

    record = read_record(folder)
    if record is None:
        raise AnalysisError(f"{folder} has no readable {RECORD}; pass a run folder (OUT/runs/<run id>) or a sweep's --out folder.")
    status, method = record.get("status"), record.get("config", {}).get("method", "?")
    if status == "failed":
        reason = str(record.get("reason")).splitlines()[0][:200]
        raise NotAnalysable(f"Run {folder.name} failed ({reason}); fix the cause and rerun it (da-bench sweep --retry-failed) before analysing it.")
    if status != "done":
        raise NotAnalysable(f"Run {folder.name} is not finished (status '{status}'); let it finish or resume it with the same da-bench run or sweep command.")
    if is_classic(method):
        raise NotAnalysable(f"Run {folder.name} is a classic feature-level method ('{method}') with no network to analyse; analyse deep runs only.")
    if not (folder / CHECKPOINT).exists():
        raise AnalysisError(f"Run {folder.name} has no {CHECKPOINT} to rebuild its network from; rerun it (delete its record.json first) to analyse it.")
    return record


def load_checkpoint(folder: Path) -> dict[str, Any]:
    """The run's final checkpoint, read safely (``weights_only=True``)."""
    try:
        return torch.load(folder / CHECKPOINT, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - a checkpoint that does not load safely cannot be analysed
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
        raise AnalysisError(f"Checkpoint {folder / CHECKPOINT} does not load safely ({reason}); rerun the run (delete its record.json first).") from None


def rebuild(record: dict[str, Any], checkpoint: dict[str, Any]) -> tuple[Any, Any]:
    """The run's data module (set up) and its network with the checkpoint's weights, in eval mode."""
    from da_bench.config import from_dict
    from da_bench.data.datamodule import PairedDataModule
    from da_bench.methods import build_method

    cfg = from_dict(record["config"])
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    dm = PairedDataModule(cfg)
    dm.setup("fit")
    if "target_test" not in dm.splits:
        raise AnalysisError(f"Run {record['run_id']} has no target test split (no target domain); analyse runs with a target.")
    model = build_method(cfg, dm.input_shape, dm.num_classes)
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except (KeyError, RuntimeError) as err:
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
        raise AnalysisError(
            f"The checkpoint of run {record['run_id']} does not fit the network its config builds ({reason}); rerun the run with this code."
        ) from None
    return dm, model.eval()


def evaluation_split(dm: Any, name: str) -> Any:
    """Split ``name`` with evaluation preprocessing: an image dataset of the source training split is read through
    the source validation split's transform (no training augmentation); in-memory tensors are never augmented here."""
    from da_bench.data.domains import Split
    from da_bench.data.images import Transformed

    split = dm.splits[name]
    if name == "source_train" and isinstance(split.x, Transformed) and isinstance(dm.splits["source_val"].x, Transformed):
        return Split(Transformed(split.x.base, dm.splits["source_val"].x.transform), split.y, split.origin)
    return split


def device_for(cfg: Any) -> torch.device:
    """A GPU where one is visible and the config allows it, else the CPU (a GPU-trained run analyses on a CPU)."""
    return torch.device("cuda" if cfg.device != "cpu" and torch.cuda.is_available() else "cpu")


@torch.no_grad()
def outputs(model: Any, dm: Any, split: str, domain: str) -> Outputs:
    """Features, logits and labels of every sample of ``split`` as ``model.predict`` gives them for ``domain``."""
    device = device_for(model.cfg)
    model.to(device)
    features, logits, labels = [], [], []
    for x, y in dm.eval_batches(evaluation_split(dm, split), with_labels=True):
        f, z = model.predict(x.to(device), domain)
        features.append(f.float().flatten(1).cpu())
        logits.append(z.float().cpu())
        labels.append(torch.as_tensor(y).cpu())
    return Outputs(torch.cat(features).numpy(), torch.cat(logits).numpy(), torch.cat(labels).numpy().astype(np.int64))
