"""da_bench's cost over a hand-written PyTorch loop, for the DANN digits recipe on CPU.

(a) a minimal DANN loop in plain PyTorch, and (b) the same network, batch (64 source + 64 target),
data (MNIST-5k -> MNIST-M-like, in memory), optimiser and number of steps trained by da_bench
through the Lightning Trainer exactly as ``da-bench run`` builds it (CSV logger, checkpointing).
Each variant runs in its own process, interleaved a/b/a/b..., with the same thread count; we print
the median seconds per step of each, the ratio (b)/(a), and each process's peak resident memory.
A third variant, (a) with ``torch.use_deterministic_algorithms(True)`` as da_bench's CPU runs use it,
separates the cost of determinism from the framework's own; a fourth, (c), the plain step in a minimal
LightningModule and Trainer, separates Lightning's cost from da_bench's.

    python scripts/bench_overhead.py [--steps 300] [--repeats 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from da_bench.losses.base import domain_bce
from da_bench.models.grl import reverse_gradient
from da_bench.schedules import annealed_lr_factor, dann_ramp

CONFIG = {
    "method": "dann",
    "source": "mnist5k",
    "target": "mnistm_like",
    "backbone": "dann_digits",
    "head_hidden": [100, 100],
    "batch_size": 64,
    "lr": 0.01,
    "momentum": 0.9,
    "losses": {"dann": {"width": 100, "depth": 1, "batch_norm": False}},
}
WARMUP = 20
VARIANTS = ("plain", "plain_deterministic", "lightning_minimal", "da_bench")


class PlainDANN:
    """The bench's DANN step without a framework: the model pieces, the in-memory data, and one step's loss."""

    def __init__(self, steps: int) -> None:
        from da_bench.config import from_dict
        from da_bench.data.datamodule import PairedDataModule
        from da_bench.models.backbones import dann_digits
        from da_bench.models.heads import DomainDiscriminator, mlp_classifier

        dm = PairedDataModule(from_dict({**CONFIG, "steps": steps, "eval_every": steps}))
        dm.setup("fit")
        self.steps = steps
        self.xs, self.ys = dm.splits["source_train"].x, dm.splits["source_train"].y
        self.xt = dm.splits["target_unlabeled"].x
        torch.manual_seed(0)
        self.modules = torch.nn.ModuleList([dann_digits(3), mlp_classifier(768, 10, (100, 100)), DomainDiscriminator(768, 100, 1, False)])
        self.g = torch.Generator().manual_seed(0)

    def loss(self, step: int) -> torch.Tensor:
        backbone, head, disc = self.modules
        i = torch.randint(len(self.ys), (64,), generator=self.g)
        j = torch.randint(len(self.xt), (64,), generator=self.g)
        f = backbone(torch.cat([self.xs[i], self.xt[j]]))
        r = reverse_gradient(f, dann_ramp(step / self.steps))
        return F.cross_entropy(head(f[:64]), self.ys[i]) + domain_bce(disc(r[:64]), disc(r[64:]))

    def anneal(self, optimizer: torch.optim.Optimizer, step: int) -> None:
        for group in optimizer.param_groups:
            group["lr"] = 0.01 * annealed_lr_factor(step / self.steps)


def plain_loop(steps: int) -> list[float]:
    """(a): the same model pieces, a plain training loop, no framework."""
    dann = PlainDANN(steps)
    opt = torch.optim.SGD(dann.modules.parameters(), lr=0.01, momentum=0.9)
    times = []
    for step in range(steps):
        times.append(time.perf_counter())
        dann.anneal(opt, step)
        loss = dann.loss(step)
        opt.zero_grad()
        loss.backward()
        opt.step()
    times.append(time.perf_counter())
    return times


def lightning_loop(steps: int) -> list[float]:
    """(c): the plain step inside a minimal LightningModule and Trainer (no logger, checkpoint or callbacks of
    da_bench): what Lightning's loop alone costs."""
    import pytorch_lightning as pl

    from da_bench.runner.execute import _quiet_lightning

    _quiet_lightning()
    dann, times = PlainDANN(steps), []

    class Minimal(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.parts = dann.modules

        def training_step(self, batch, batch_idx: int) -> torch.Tensor:
            dann.anneal(self.trainer.optimizers[0], batch_idx)
            return dann.loss(batch_idx)

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return torch.optim.SGD(self.parameters(), lr=0.01, momentum=0.9)

    class StepTimes(pl.Callback):
        def on_train_batch_start(self, *args) -> None:
            times.append(time.perf_counter())

        def on_train_end(self, *args) -> None:
            times.append(time.perf_counter())

    quiet = {"logger": False, "enable_checkpointing": False, "enable_progress_bar": False, "enable_model_summary": False}
    trainer = pl.Trainer(accelerator="cpu", max_epochs=1, callbacks=[StepTimes()], **quiet)
    trainer.fit(Minimal(), torch.utils.data.DataLoader(range(steps), batch_size=None))
    return times


def framework_loop(steps: int) -> list[float]:
    """(b): da_bench's Method, data module and Trainer, as ``da-bench run`` builds them."""
    import pytorch_lightning as pl

    from da_bench.config import from_dict
    from da_bench.runner.execute import _quiet_lightning, make_trainer, prepare

    times: list[float] = []

    class StepTimes(pl.Callback):
        def on_train_batch_start(self, *args) -> None:
            times.append(time.perf_counter())

        def on_train_end(self, *args) -> None:
            times.append(time.perf_counter())

    _quiet_lightning()
    cfg = from_dict({**CONFIG, "steps": steps, "eval_every": steps})
    dm, model = prepare(cfg)
    dm.eval_roles = []  # compare training steps only: evaluation has no counterpart in the plain loop
    trainer = make_trainer(cfg, Path(tempfile.mkdtemp()), [StepTimes()])
    trainer.limit_val_batches = 0
    trainer.fit(model, datamodule=dm)
    return times


def child(variant: str, steps: int, threads: int) -> None:
    from da_bench.cli import import_builtins

    import_builtins()
    torch.set_num_threads(threads)
    if variant in ("plain_deterministic", "lightning_minimal"):
        torch.use_deterministic_algorithms(True)
    times = {"da_bench": framework_loop, "lightning_minimal": lightning_loop}.get(variant, plain_loop)(steps)
    per_step = [b - a for a, b in zip(times[WARMUP:], times[WARMUP + 1 :])]
    print(
        json.dumps(
            {
                "variant": variant,
                "median_s": statistics.median(per_step),
                "steps": len(per_step),
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--child", choices=VARIANTS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.steps, args.threads)
        return
    runs: dict[str, list[dict]] = {variant: [] for variant in VARIANTS}
    for _ in range(args.repeats):
        for variant in VARIANTS:
            out = subprocess.run(
                [sys.executable, __file__, "--child", variant, "--steps", str(args.steps), "--threads", str(args.threads)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            runs[variant].append(json.loads(out.strip().splitlines()[-1]))
    med = {v: statistics.median(r["median_s"] for r in rs) for v, rs in runs.items()}
    for variant, rs in runs.items():
        per_repeat = ", ".join(f"{1000 * r['median_s']:.2f}" for r in rs)
        print(f"{variant:<19} median {1000 * med[variant]:.2f} ms/step  (per repeat: {per_repeat}); peak RSS {max(r['peak_rss_mb'] for r in rs):.0f} MB")
    print(
        f"ratio da_bench / plain = {med['da_bench'] / med['plain']:.3f}"
        f"  ({args.steps} steps, {args.threads} thread(s), batch 64+64, {args.repeats} interleaved repeats)"
    )
    print(f"ratio da_bench / plain_deterministic = {med['da_bench'] / med['plain_deterministic']:.3f}  (the framework's own cost)")
    print(f"of which Lightning: lightning_minimal / plain_deterministic = {med['lightning_minimal'] / med['plain_deterministic']:.3f}")
    print(f"and da_bench over Lightning: da_bench / lightning_minimal = {med['da_bench'] / med['lightning_minimal']:.3f}")


if __name__ == "__main__":
    main()
