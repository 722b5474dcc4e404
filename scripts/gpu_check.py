"""Mixed-precision and throughput check through da_bench itself (Method + Lightning Trainer).

For the DANN digits network (28x28) and ResNet-50 (224x224, random weights), trains DANN on
synthetic in-memory domains held on the device under 32, bf16-mixed and 16-mixed precision, plus
bf16-mixed with channels_last, and reports training images/s (source + target images) and the
final loss. Results go to a JSON and a Markdown file.

    python scripts/gpu_check.py --out paper_results/gpu_check          # on a GPU machine
    python scripts/gpu_check.py --device cpu --quick --out /tmp/check   # what can run on a CPU
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import pytorch_lightning as pl
import torch

from da_bench.cli import import_builtins
from da_bench.config import from_dict
from da_bench.data.datamodule import PairedDataModule
from da_bench.data.domains import DomainData, DomainSpec, Split, register_domain
from da_bench.methods import build_method


def synthetic_domain(name: str, n: int, size: int, shift: float) -> None:
    def load(root, cache) -> DomainData:
        g = torch.Generator().manual_seed(len(name) + size)
        y = torch.randint(0, 10, (n,), generator=g)
        x = torch.rand(n, 3, size, size, generator=g) * 0.5 + shift
        x[:, 0, : size // 2, : size // 2] += y[:, None, None].float() / 10  # a learnable class signal
        return DomainData(name, 10, {"all": Split(x.clamp(0, 1), y)})

    register_domain(DomainSpec(name, "synthetic images for the GPU check", 10, load, "-", "generated", needs_root=False))


class Timer(pl.Callback):
    """Times training batches after ``warmup``, synchronising the device at both ends; keeps the last batch's loss."""

    def __init__(self, warmup: int) -> None:
        self.warmup, self.start, self.end, self.batches = warmup, 0.0, 0.0, 0
        self.last_loss: torch.Tensor | None = None

    def _sync(self, pl_module: pl.LightningModule) -> None:
        if pl_module.device.type == "cuda":
            torch.cuda.synchronize(pl_module.device)

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if pl_module.steps_done == self.warmup:  # training batches completed before this one
            self._sync(pl_module)
            self.start = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.last_loss = outputs["loss"].detach()  # read once at the end: no host sync per step
        if pl_module.steps_done >= self.warmup:  # this batch is not counted as completed until after this hook
            self.batches += 1
            self._sync(pl_module)
            self.end = time.perf_counter()


def measure(network: str, size: int, batch: int, precision: str, channels_last: bool, steps: int, warmup: int, device: str) -> dict:
    cfg = from_dict(
        {
            "method": "dann",
            "source": f"syn{size}_s",
            "target": f"syn{size}_t",
            "backbone": network,
            "image_size": size,
            "head_hidden": [100, 100] if network == "dann_digits" else [],
            "bottleneck_dim": 0 if network == "dann_digits" else 256,
            "batch_size": batch,
            "steps": steps,
            "eval_every": steps,
            "precision": precision,
            "channels_last": channels_last,
            "losses": {"dann": {"width": 100 if network == "dann_digits" else 1024}},
            "validator_samples": 64,
            "device": device,
        }
    )
    pl.seed_everything(0, verbose=False)
    dm = PairedDataModule(cfg)
    dm.setup("fit")
    dm.eval_roles = []  # throughput only: no evaluation
    model = build_method(cfg, dm.input_shape, dm.num_classes)
    timer = Timer(warmup)
    trainer = pl.Trainer(
        accelerator="gpu" if device == "cuda" else "cpu",
        devices=1,
        precision=precision,
        max_epochs=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        limit_val_batches=0,
        callbacks=[timer],
        benchmark=device == "cuda",
    )
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    trainer.fit(model, datamodule=dm)
    seconds = timer.end - timer.start
    return {
        "network": network,
        "image_size": size,
        "batch_per_domain": batch,
        "precision": precision,
        "channels_last": channels_last,
        "timed_steps": timer.batches,
        "images_per_s": round(timer.batches * 2 * batch / seconds, 1),
        "final_loss": round(float(timer.last_loss), 4),
        "peak_memory_mb": round(torch.cuda.max_memory_allocated() / 2**20, 1) if device == "cuda" else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="paper_results/gpu_check")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a CPU smoke test")
    args = parser.parse_args()
    import_builtins()
    quick = args.quick
    precisions = ["32", "bf16-mixed"] + ([] if args.device == "cpu" else ["16-mixed"])
    plan = [
        ("dann_digits", 28, 64 if quick else 256, 6 if quick else 300, 2 if quick else 50, 256 if quick else 8192),
        ("resnet50", 64 if quick else 224, 2 if quick else 64, 3 if quick else 60, 1 if quick else 15, 16 if quick else 512),
    ]
    results = []
    for network, size, batch, steps, warmup, n in plan:
        synthetic_domain(f"syn{size}_s", n, size, 0.0)
        synthetic_domain(f"syn{size}_t", n, size, 0.2)
        for precision, channels_last in [(p, False) for p in precisions] + [("bf16-mixed", True)]:
            row = measure(network, size, batch, precision, channels_last, steps, warmup, args.device)
            print(json.dumps(row), flush=True)
            results.append(row)
    device_name = torch.cuda.get_device_name() if args.device == "cuda" else platform.processor() or "cpu"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"device": device_name, "torch": torch.__version__, "lightning": pl.__version__, "quick": quick}
    (out / "gpu_check.json").write_text(json.dumps({"meta": meta, "results": results}, indent=1))
    lines = [
        f"# GPU check on {device_name}",
        "",
        f"torch {torch.__version__}, lightning {pl.__version__}; command: `python scripts/gpu_check.py{' --quick' if quick else ''}`",
        "",
        "| network | size | batch (per domain) | precision | channels_last | images/s | final loss | peak MiB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['network']} | {r['image_size']} | {r['batch_per_domain']} | {r['precision']} | {r['channels_last']} |"
        f" {r['images_per_s']} | {r['final_loss']} | {r['peak_memory_mb']} |"
        for r in results
    ]
    (out / "gpu_check.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
