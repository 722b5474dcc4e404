"""Execute one run: data module + method + Lightning Trainer, resumable, ending in a record."""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

import torch

from da_bench.classic.run import fit_classic, prepare_classic
from da_bench.classic.spec import is_classic
from da_bench.config import ConfigError, RunConfig, run_id, to_dict
from da_bench.runner.csvlog import ContinuingCSVLogger, continue_log
from da_bench.runner.distributed import run_facts, run_strategy
from da_bench.runner.identity import claim, run_plugins
from da_bench.runner.locks import holder, run_lock
from da_bench.runner.records import provenance, read_record, write_json_atomic
from da_bench.runner.resume import ExactResume, resumable_step

RUNS = "runs"  # runs live in <out>/runs/<id>/, sweep manifests in <out>/sweeps/
CSV_LOG_DIR = "logs"


def run_dir(cfg: RunConfig, out: Path) -> Path:
    return Path(out) / RUNS / run_id(cfg)


def check_out(out: Path) -> None:
    """Refuse an output folder that is a file or cannot be written, before anything runs."""
    existing = next(p for p in (Path(out).absolute(), *Path(out).absolute().parents) if p.exists())
    if not existing.is_dir():
        raise ConfigError(f"--out '{out}' is {'' if existing == Path(out).absolute() else f'under {existing}, '}an existing file; pass a folder.")
    try:
        tempfile.TemporaryFile(dir=existing).close()
    except OSError:
        raise ConfigError(f"--out '{out}' is not writable (nothing can be created in {existing}); pass a folder you can write to.") from None


def metrics_csv(folder: Path) -> Path:
    """Where the CSV logger of the run in ``folder`` writes its scalars."""
    return folder / CSV_LOG_DIR / "metrics.csv"


def _loggers(cfg: RunConfig, folder: Path) -> list[Any]:
    from pytorch_lightning.loggers import TensorBoardLogger, WandbLogger

    makers = {
        "csv": lambda: ContinuingCSVLogger(str(folder), name=CSV_LOG_DIR, version=""),
        "tensorboard": lambda: TensorBoardLogger(str(folder), name="tensorboard", version=""),
        # wandb reads WANDB_MODE itself: WANDB_MODE=offline writes runs under <run>/wandb without a network
        "wandb": lambda: WandbLogger(save_dir=str(folder), project="da_bench", name=folder.name, id=folder.name),
    }
    return [makers[name]() for name in cfg.loggers]


def _quiet_lightning() -> None:
    for name in ("pytorch_lightning", "lightning.pytorch", "lightning_fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message=".*does not have many workers.*")
    warnings.filterwarnings("ignore", message=".*LightningDataModule.*")
    warnings.filterwarnings("ignore", message=".*`torch.cuda.amp.*")
    warnings.filterwarnings("ignore", message=".*Trying to infer the `batch_size`.*")
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)`? is deprecated.*")  # inside Lightning, with torch 2.14


def prepare(cfg: RunConfig) -> tuple[Any, Any]:
    """Build the data module and the method; raises at set-up (bad data, bad names) before any training."""
    import pytorch_lightning as pl

    from da_bench.data.datamodule import PairedDataModule
    from da_bench.methods import build_method
    from da_bench.methods.compiled import require_compile

    if cfg.compile:
        require_compile(torch.device("cuda" if uses_gpu(cfg) else "cpu"), cfg.compile_mode)
    pl.seed_everything(cfg.seed, workers=True, verbose=False)
    dm = PairedDataModule(cfg)
    dm.setup("fit")
    model = build_method(cfg, dm.input_shape, dm.num_classes)
    return dm, model


def uses_gpu(cfg: RunConfig) -> bool:
    return cfg.device == "cuda" or (cfg.device == "auto" and torch.cuda.is_available())


def make_trainer(cfg: RunConfig, folder: Path, callbacks: list[Any] | None = None) -> Any:
    """The Trainer every run uses: loggers, one rolling checkpoint per evaluation (with the RNG states), no progress bar;
    ``devices`` processes under DDP (:mod:`da_bench.runner.distributed`), each evaluating every split whole."""
    import pytorch_lightning as pl
    from pytorch_lightning.callbacks import ModelCheckpoint

    use_gpu = uses_gpu(cfg)
    # one rolling checkpoint after every evaluation (no monitor + top-1 keeps the latest as last.ckpt)
    checkpointing = ModelCheckpoint(dirpath=str(folder / "checkpoints"), filename="last", save_top_k=1, enable_version_counter=False)
    return pl.Trainer(
        accelerator="gpu" if use_gpu else "cpu",
        devices=cfg.devices,
        strategy=run_strategy(cfg),
        use_distributed_sampler=False,  # training batches are shared out by the data module, evaluation is not
        sync_batchnorm=use_gpu and cfg.devices > 1,  # statistics over the global batch, as on one device (GPU only in torch)
        precision=cfg.precision,
        max_epochs=cfg.steps // cfg.eval_every,
        logger=_loggers(cfg, folder),
        callbacks=[checkpointing, ExactResume(), *(callbacks or [])],
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        log_every_n_steps=50,
        deterministic=not use_gpu,
        default_root_dir=str(folder),
    )


def bare_trainer(use_gpu: bool, precision: str = "32", callbacks: list[Any] | None = None) -> Any:
    """A one-epoch Trainer for scripts that time or probe a method: no logger, checkpoint, progress bar, summary or validation."""
    import pytorch_lightning as pl

    return pl.Trainer(
        accelerator="gpu" if use_gpu else "cpu",
        devices=1,
        precision=precision,
        max_epochs=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        limit_val_batches=0,
        callbacks=callbacks or [],
        benchmark=use_gpu,
    )


def first_missing(folder: Path) -> Path | None:
    """The outermost of ``folder`` and its parents that does not exist yet (None if ``folder`` exists)."""
    missing = None
    for path in (folder, *folder.parents):
        if path.exists():
            return missing
        missing = path
    return missing


def running_elsewhere(cfg: RunConfig, folder: Path) -> dict[str, Any]:
    """The outcome of a run whose lock another process holds: reported, never written."""
    return {
        "run_id": folder.name,
        "config": to_dict(cfg),
        "status": "running",
        "reason": f"run {folder.name} is being trained by another process ({holder(folder)}); skipped here",
    }


def execute(cfg: RunConfig, out: Path, record_setup_errors: bool = False) -> dict[str, Any]:
    """Run (or resume) one configuration under its run lock; returns its record. A ``done`` record is returned untouched,
    a run locked by another process comes back with status ``running``. A set-up error (bad data, bad names) raises,
    or with ``record_setup_errors`` (sweeps) becomes a ``failed`` record."""
    folder = run_dir(cfg, out)
    created = first_missing(folder)
    with run_lock(folder) as held:
        if not held:
            return running_elsewhere(cfg, folder)
        plugins = run_plugins(cfg)
        claim(folder, plugins)
        existing = read_record(folder)
        if existing and existing.get("status") == "done":
            return existing
        _quiet_lightning()
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        classic = is_classic(cfg.method)  # feature-level methods (da_bench.classic) fit without Lightning
        try:
            prepared = prepare_classic(cfg) if classic else prepare(cfg)
        except Exception as err:
            if not record_setup_errors:
                if created is not None:  # a refused run leaves nothing behind (the lock file and its folders)
                    shutil.rmtree(created, ignore_errors=True)
                raise
            record = {"run_id": folder.name, "config": to_dict(cfg), "status": "failed", "reason": f"set-up error: {err}"}
            write_json_atomic(folder / "record.json", record)
            return record
        return fit_classic(cfg, folder, prepared) if classic else _train(cfg, folder, *prepared, plugins)


def _train(cfg: RunConfig, folder: Path, dm: Any, model: Any, plugins: dict[str, str]) -> dict[str, Any]:
    """Fit from the last checkpoint (if one loads safely) and write the record, failed or done."""
    from da_bench.methods import DivergedError

    use_gpu = uses_gpu(cfg)
    device = torch.device("cuda" if use_gpu else "cpu")
    checkpoint = folder / "checkpoints" / "last.ckpt"
    resumed_from = resumable_step(checkpoint)
    continue_log(metrics_csv(folder), resumed_from)
    trainer = make_trainer(cfg, folder)
    record: dict[str, Any] = {
        "run_id": run_id(cfg),
        "config": to_dict(cfg),
        "resumed_from_step": resumed_from,
        "provenance": {
            **provenance(),
            "precision": cfg.precision,
            "compiled": cfg.compile,
            "deterministic": not use_gpu,
            "features_cached": dm.features_cached,
            **({"plugins": plugins} if plugins else {}),
        },
    }
    start = time.perf_counter()
    if use_gpu and cfg.strategy == "auto":  # DDP ranks are fresh processes; this one must not touch CUDA before a fork
        torch.cuda.reset_peak_memory_stats()
    try:
        # weights_only: the checkpoint holds tensors and plain values only, so nothing in it can run code
        trainer.fit(model, datamodule=dm, ckpt_path=str(checkpoint) if resumed_from is not None else None, weights_only=True)
        record.update(status="done", reason=None)
    except DivergedError as err:
        record.update(status="failed", reason=f"diverged: {err}")
    except Exception as err:  # noqa: BLE001 - any training failure is recorded and the sweep goes on
        record.update(status="failed", reason=f"{type(err).__name__}: {err}", traceback=traceback.format_exc()[-3000:])
    record["history"] = model.history
    record["final"] = model.history[-1] if model.history else None
    record["provenance"].update(seconds=round(time.perf_counter() - start, 3), **run_facts(trainer, device))
    write_json_atomic(folder / "record.json", record)
    return record
