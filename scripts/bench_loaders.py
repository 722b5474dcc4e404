"""Training batches per second from the paired data module, for each kind of domain:
in-memory digits, in-memory feature vectors, and image files read by worker processes.

    python scripts/bench_loaders.py [--batches 200] [--repeats 3]

The image-file case builds a small Office-31-style tree of JPEGs in a temporary folder. Run it on an
idle machine: numbers are medians over repeats, the kinds interleaved.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from da_bench.cli import import_builtins
from da_bench.config import from_dict
from da_bench.data.datamodule import PairedDataModule


def office_tree(root: Path, domain: str, per_class: int = 40) -> None:
    rng = np.random.default_rng(0)
    lines = []
    for label, cls in enumerate(["back_pack", "bike", "calculator"]):
        folder = root / "office31" / "domain_adaptation_images" / domain / "images" / cls
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            Image.fromarray(rng.integers(0, 255, (300, 300, 3), dtype=np.uint8)).save(folder / f"frame_{i:04d}.jpg", quality=90)
            lines.append(f"domain_adaptation_images/{domain}/images/{cls}/frame_{i:04d}.jpg {label}")
    (root / "office31" / f"{domain}_list.txt").write_text("\n".join(lines) + "\n")


def batches_per_second(cfg_dict: dict, batches: int) -> float:
    cfg = from_dict({**cfg_dict, "steps": batches, "eval_every": batches})
    dm = PairedDataModule(cfg)
    dm.setup("fit")
    start = time.perf_counter()
    n = sum(1 for _ in dm.train_dataloader())
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    import_builtins()
    torch.set_num_threads(1)
    tmp = Path(tempfile.mkdtemp())
    office_tree(tmp, "amazon")
    office_tree(tmp, "webcam")
    kinds = {
        "digits (in memory, 64+64 of 3x28x28)": {"source": "mnist5k", "target": "mnistm_like", "batch_size": 64},
        "features (in memory, 64+64 of 2-d)": {"source": "moons", "target": "moons_rot35", "backbone": "mlp", "batch_size": 64},
        f"image files ({args.workers} workers, 32+32 of 3x224x224)": {
            "source": "office31_amazon",
            "target": "office31_webcam",
            "backbone": "resnet50",
            "data_root": str(tmp),
            "batch_size": 32,
            "num_workers": args.workers,
        },
    }
    results: dict[str, list[float]] = {k: [] for k in kinds}
    for _ in range(args.repeats):
        for name, cfg in kinds.items():
            n = args.batches if "image" not in name else max(10, args.batches // 10)
            results[name].append(batches_per_second(cfg, n))
    for name, values in results.items():
        print(f"{name:<55} {statistics.median(values):10.1f} batches/s  (median of {len(values)}: {', '.join(f'{v:.1f}' for v in values)})")


if __name__ == "__main__":
    main()
