"""The timing core of the GPU check: one DANN training through da_bench on synthetic in-memory domains, timed.

:func:`measure` trains DANN through da_bench's ``prepare`` (Method, PairedDataModule, compile check) and a bare
Lightning Trainer on two synthetic domains held on the device, and times ``steps`` batches after ``warmup``.
``sync`` (packed runs) holds the process at the end of warm-up until every packed process is ready, so that
their timed windows overlap; times come from the system-wide monotonic clock, comparable across processes.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

import pytorch_lightning as pl
import torch

from da_bench.config import from_dict
from da_bench.data.domains import DomainData, DomainSpec, Split, register_domain
from da_bench.runner.execute import bare_trainer, prepare

GRID_DISCRIMINATOR = {"width": 100, "depth": 1, "batch_norm": False}  # experiments/digits.yaml's DANN recipe


@dataclass(frozen=True)
class Spec:
    """One measurement: ``steps`` timed batches of ``batch`` source + ``batch`` target images after ``warmup``."""

    network: str
    image_size: int
    batch: int
    steps: int
    warmup: int
    images: int  # per synthetic domain
    device: str
    precision: str = "32"
    channels_last: bool = False
    compile: bool = False
    compile_mode: str = "default"  # reduce-overhead: CUDA graphs on a GPU


@cache
def synthetic_pair(size: int, n: int) -> tuple[str, str]:
    """Register (once per process) a source and a shifted target domain of ``n`` random images with a class signal."""
    names = (f"syn{size}x{n}_s", f"syn{size}x{n}_t")
    for name, shift in zip(names, (0.0, 0.2)):

        def load(root, cache, name: str = name, shift: float = shift) -> DomainData:
            g = torch.Generator().manual_seed(len(name) + size)
            y = torch.randint(0, 10, (n,), generator=g)
            x = torch.rand(n, 3, size, size, generator=g) * 0.5 + shift
            x[:, 0, : size // 2, : size // 2] += y[:, None, None].float() / 10  # a learnable class signal
            return DomainData(name, 10, {"all": Split(x.clamp(0, 1), y)})

        register_domain(DomainSpec(name, "synthetic images for the GPU check", 10, load, "-", "generated", needs_root=False))
    return names


class Timer(pl.Callback):
    """Times training batches after ``warmup``, synchronising the device at both ends; keeps the last batch's loss.

    With ``sync = (ready, go)`` it touches ``ready`` at the end of warm-up and waits for ``go`` before timing."""

    def __init__(self, warmup: int, sync: tuple[Path, Path] | None = None) -> None:
        self.warmup, self.sync, self.start, self.end, self.batches = warmup, sync, 0.0, 0.0, 0
        self.last_loss: torch.Tensor | None = None

    def _sync_device(self, pl_module: pl.LightningModule) -> None:
        if pl_module.device.type == "cuda":
            torch.cuda.synchronize(pl_module.device)

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if pl_module.steps_done == self.warmup:  # training batches completed before this one
            self._sync_device(pl_module)
            if self.sync:
                ready, go = self.sync
                ready.touch()
                while not go.exists():
                    time.sleep(0.001)
            self.start = time.monotonic()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.last_loss = outputs["loss"].detach()  # read once at the end: no host sync per step
        if pl_module.steps_done >= self.warmup:  # this batch is not counted as completed until after this hook
            self.batches += 1
            self._sync_device(pl_module)
            self.end = time.monotonic()


def run_config(spec: Spec) -> dict:
    """The da_bench configuration of ``spec``: the DANN paper's digits recipe, or ResNet-50 with a 256-d bottleneck."""
    digits = spec.network == "dann_digits"
    source, target = synthetic_pair(spec.image_size, spec.images)
    return {
        "method": "dann",
        "source": source,
        "target": target,
        "backbone": spec.network,
        "image_size": spec.image_size,
        "head_hidden": [100, 100] if digits else [],
        "bottleneck_dim": 0 if digits else 256,
        "batch_size": spec.batch,
        "steps": spec.warmup + spec.steps,
        "eval_every": spec.warmup + spec.steps,
        "precision": spec.precision,
        "channels_last": spec.channels_last,
        "compile": spec.compile,
        "compile_mode": spec.compile_mode,
        "losses": {"dann": GRID_DISCRIMINATOR if digits else {"width": 1024}},
        "validator_samples": 64,
        "device": spec.device,
    }


def measure(spec: Spec, sync: tuple[Path, Path] | None = None) -> dict:
    """Train ``spec`` and return its row: steps/s, ms/step, images/s, final loss, peak memory, the timed window."""
    if spec.compile:
        torch._dynamo.reset()  # compile afresh, as a run of its own would: no guards or dynamic shapes left by an earlier row
    dm, model = prepare(from_dict(run_config(spec)))  # raises CompileUnavailable where compile=True cannot compile
    dm.eval_roles = []  # throughput only: no evaluation
    timer = Timer(spec.warmup, sync)
    cuda = spec.device == "cuda"
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    bare_trainer(cuda, spec.precision, [timer]).fit(model, datamodule=dm)
    seconds = timer.end - timer.start
    return {
        **asdict(spec),
        "timed_steps": timer.batches,
        "steps_per_s": round(timer.batches / seconds, 2),
        "ms_per_step": round(1000 * seconds / timer.batches, 3),
        "images_per_s": round(timer.batches * 2 * spec.batch / seconds, 1),
        "final_loss": round(float(timer.last_loss), 4),
        "peak_memory_mb": round(torch.cuda.max_memory_allocated() / 2**20, 1) if cuda else None,
        "window": [timer.start, timer.end],
    }
