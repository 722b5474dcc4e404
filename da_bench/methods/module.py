"""The LightningModule every deep method trains: backbone -> (bottleneck) -> heads, plus weighted adaptation losses.

loss = sum_tasks w_task CE_task(source) + sum_i w_i * s_i(p) * L_i(source, target), with p the training progress
and s_i a weight schedule; Lightning runs the loop. A method that owns its training step subclasses
:class:`~da_bench.methods.custom.CustomStepMethod` and uses the surface documented here: :class:`Inputs`,
:meth:`Method.backbone_features`, :meth:`Method.features`, ``heads``, :meth:`Method.new_head`,
:meth:`Method.param_groups` / :meth:`Method.make_optimizer` / :meth:`Method.make_scheduler`,
:attr:`Method.progress`, :attr:`Method.steps_done` and :meth:`Method.predict`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Iterable

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from da_bench.config import RunConfig
from da_bench.losses import StepOutputs
from da_bench.losses.base import check_output, probe
from da_bench.methods.compiled import compile_parts
from da_bench.methods.divergence import NonFiniteFlag
from da_bench.methods.evaluation import Collector, evaluation_point
from da_bench.methods.network import build_backbone
from da_bench.methods.spec import LossTerm
from da_bench.methods.tasks import task_table
from da_bench.methods.terms import loss_terms
from da_bench.models.backbones import load_local_checkpoint
from da_bench.models.heads import bottleneck, mlp_classifier
from da_bench.registry import LOSSES
from da_bench.schedules import WEIGHT_SCHEDULES, annealed_lr_factor


@dataclass
class Inputs:
    """One training batch: labeled source images, unlabeled target images (``None`` outside mode 'uda') and the
    labeled target samples of a ``k_shot`` run. Target labels of the unlabeled split never reach a batch."""

    source: Tensor
    source_labels: Tensor
    target: Tensor | None = None
    target_labeled: tuple[Tensor, Tensor] | None = None

    @classmethod
    def of(cls, batch: dict[str, Any]) -> Inputs:
        xs, ys = batch["source"]
        return cls(xs, ys, batch.get("target"), batch.get("target_labeled"))

    def labeled(self) -> tuple[Tensor, Tensor]:
        """Every labeled sample, source first: images and labels."""
        if self.target_labeled is None:
            return self.source, self.source_labels
        return torch.cat([self.source, self.target_labeled[0]]), torch.cat([self.source_labels, self.target_labeled[1]])


def batch_norms(module: nn.Module) -> list[nn.Module]:
    """Every batch-norm layer of ``module`` (1d, 2d, 3d, synchronised)."""
    return [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


class Method(pl.LightningModule):
    """Backbone -> (bottleneck) -> task heads, plus weighted adaptation losses."""

    description: ClassVar[str] = ""  # a registered subclass: the first line of its docstring unless set
    losses: ClassVar[tuple[LossTerm, ...]] = ()  # a registered subclass's own loss terms (the config's ``losses`` add to them)
    search_space: ClassVar[dict[str, Any]] = {}
    uses_target: ClassVar[bool] = False  # True: needs target batches even without adaptation losses (mode 'uda')
    setting: ClassVar[str] = "uda"  # a key of da_bench.methods.spec.SETTINGS: 'uda', 'source-free' or 'test-time'

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("description"):
            lines = (cls.__doc__ or "").strip().splitlines()
            cls.description = lines[0] if lines else cls.__name__

    def __init__(self, config: dict[str, Any], input_shape: tuple[int, ...], num_classes: int) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.cfg = RunConfig(**config)
        from da_bench.methods.hyperparameters import check_method_args  # it reads this class

        for name, value in check_method_args(type(self), self.cfg.method, self.cfg.method_args).items():
            setattr(self, name, value)  # this run's value of a class hyperparameter (``method_args``)
        self.num_classes = num_classes
        self.backbone = build_backbone(self.cfg, input_shape)
        self.bottleneck = bottleneck(self.backbone.out_dim, self.cfg.bottleneck_dim, self.cfg.bottleneck_dropout) if self.cfg.bottleneck_dim else nn.Identity()
        self.feature_dim: int = self.cfg.bottleneck_dim or self.backbone.out_dim
        self.tasks = task_table(self.cfg.tasks, num_classes)
        self.heads = nn.ModuleDict({name: self.new_head(task.classes) for name, task in self.tasks.items()})
        self.terms = loss_terms(self.cfg)
        if self.cfg.mode != "uda" and (self.terms or self.uses_target):
            what = f"adaptation losses {[t.loss for t in self.terms]}" if self.terms else f"method '{self.cfg.method}'"
            raise ValueError(f"Mode '{self.cfg.mode}' never shows target data to training, so {what} cannot run; use method 'source_only'.")
        self.adaptation = nn.ModuleDict({t.loss: LOSSES.get(t.loss)(feature_dim=self.feature_dim, num_classes=num_classes, **t.params) for t in self.terms})
        for name, loss in self.adaptation.items():
            probe(name, loss, num_classes)
        self.history: list[dict[str, Any]] = []
        self.collector = Collector()
        self.nonfinite = NonFiniteFlag()
        if self.cfg.init_checkpoint:
            load_local_checkpoint(self, self.cfg.init_checkpoint)

    def new_head(self, classes: int | None = None) -> nn.Module:
        """A classifier on the bottleneck features, shaped by ``head_hidden`` (``classes`` defaults to the label classes)."""
        return mlp_classifier(self.feature_dim, classes or self.num_classes, tuple(self.cfg.head_hidden))

    def train(self, mode: bool = True) -> Method:
        super().train(mode)
        if self.cfg.freeze_backbone:
            self.backbone.eval()  # a frozen extractor keeps its batch-norm statistics
        elif self.cfg.backbone_bn == "eval":
            for norm in batch_norms(self.backbone):  # fine-tuned weights, batch norm at its pretrained statistics
                norm.eval()
        return self

    # ----- forward ----------------------------------------------------------------------------
    def on_fit_start(self) -> None:
        self.train()  # Lightning keeps each module's mode as built and never calls train(): apply this class's modes
        if self.cfg.channels_last:
            self.to(memory_format=torch.channels_last)
        if self.cfg.compile:
            compile_parts([self.backbone, self.bottleneck, *self.heads.values()], self.cfg.compile_mode)

    def backbone_features(self, x: Tensor) -> Tensor:
        """Features before the bottleneck."""
        if self.cfg.channels_last and x.ndim == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return self.backbone(x)

    def features(self, x: Tensor) -> Tensor:
        """Features at the bottleneck (the backbone's own where ``bottleneck_dim`` is 0): what the heads read."""
        return self.bottleneck(self.backbone_features(x))

    def predict(self, x: Tensor, domain: str = "target") -> tuple[Tensor, Tensor]:
        """Features and label logits of the prediction that evaluation and validators score (``domain``: 'source' or
        'target', the split's domain). Override to predict otherwise, e.g. with the mean of two classifiers (MCD)."""
        f = self.features(x)
        return f, self.heads["label"](f)

    def forward(self, x: Tensor) -> Tensor:
        return self.predict(x)[1]

    # ----- training progress ------------------------------------------------------------------
    @property
    def steps_done(self) -> int:
        """Training batches done; Lightning's ``global_step`` counts optimizer steps, several per batch in a custom step."""
        return self._trainer.fit_loop.epoch_loop.batch_progress.total.completed if self._trainer is not None else 0

    def stage(self, batch: int) -> str | None:
        """The stage of a method that trains in stages (SHOT, ADDA: 'source', then 'adapted') after training batch
        ``batch``; evaluation points carry it and selection picks among the last stage's (``None``: one stage)."""
        return None

    @property
    def progress(self) -> float:
        """The fraction p in [0, 1] of the training batches done."""
        return min(1.0, self.steps_done / self.cfg.steps)

    # ----- losses -------------------------------------------------------------------------------
    def supervised_loss(self, features: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
        """Weighted sum of task cross-entropies, and the main task's logits."""
        total = features.new_zeros(())
        for name, task in self.tasks.items():
            logits = self.heads[name](features)
            total = total + task.weight * F.cross_entropy(logits.float(), task.labels(labels))
            if name == "label":
                main_logits = logits
        return total, main_logits

    @property
    def trains_on_target(self) -> bool:
        """Whether unlabeled target images enter the training forward pass: only for a method with adaptation losses
        or one that ``uses_target``. Source-only never sees them, so its batch norm and dropout see source data alone
        (TLlib's erm.py, DomainBed's ERM)."""
        return bool(self.terms) or self.uses_target

    def step_outputs(self, inputs: Inputs) -> tuple[Tensor, StepOutputs | None, Tensor]:
        """One forward pass over the labeled samples + unlabeled target, concatenated so that batch norm sees both
        domains (as in TLlib); returns the supervised loss, the adaptation losses' inputs and the labeled logits.
        The target is left out where the method does not train on it (:attr:`trains_on_target`)."""
        x_sup, y_sup = inputs.labeled()
        n_sup, n_src = x_sup.shape[0], inputs.source.shape[0]
        target = inputs.target if self.trains_on_target else None
        f = self.features(x_sup if target is None else torch.cat([x_sup, target]))
        sup_loss, logits = self.supervised_loss(f[:n_sup], y_sup)
        if target is None:
            return sup_loss, None, logits
        out = StepOutputs(f[:n_src], f[n_sup:], logits[:n_src], self.heads["label"](f[n_sup:]), inputs.source_labels, self.progress)
        return sup_loss, out, logits

    def adaptation_loss(self, out: StepOutputs | None) -> Tensor:
        """sum_i w_i * s_i(p) * L_i(out) over the run's loss terms, each term logged."""
        total = torch.zeros((), device=self.device)
        if out is None:
            return total
        for term in self.terms:
            value = check_output(term.loss, self.adaptation[term.loss](out))
            self.log_step(f"train/{term.loss}", value)
            total = total + term.weight * WEIGHT_SCHEDULES[term.schedule](out.progress) * value
        return total

    def check_finite(self, loss: Tensor) -> None:
        """Note a loss about to be minimised; a non-finite one raises :class:`DivergedError` at the next logging step,
        evaluation or end of training (see :mod:`~da_bench.methods.divergence`), not here: no host synchronisation."""
        self.nonfinite.add(loss, self.steps_done)
        if self.logging_now:
            self.nonfinite.check(self.steps_done)

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        sup_loss, out, _ = self.step_outputs(Inputs.of(batch))
        loss = sup_loss + self.adaptation_loss(out)
        self.check_finite(loss)
        self.log_step("train/loss", loss)
        return loss

    def on_validation_start(self) -> None:
        self.nonfinite.check(self.steps_done - 1)  # before the evaluation point and its checkpoint

    def on_train_end(self) -> None:
        self.nonfinite.check(self.steps_done - 1)

    @property
    def logging_now(self) -> bool:
        """Whether the logger writes on this training batch: Lightning's own decision (as its LearningRateMonitor
        asks it), so the row written at batch ``k * log_every_n_steps`` holds that batch's values, with any number
        of optimizer steps per batch; always outside a Trainer."""
        return self._trainer is None or self.trainer._logger_connector.should_update_logs

    def log_step(self, name: str, value: Tensor) -> None:
        """Log a training scalar only on the steps the logger writes (Lightning drops the others anyway); under DDP
        its mean over the ranks, which for a batch-mean loss is its value on the global batch."""
        if self.logging_now:
            self.log(name, value.detach(), on_step=True, on_epoch=False, sync_dist=True)

    # ----- optimisation -------------------------------------------------------------------------
    def param_groups(self, params: Iterable[nn.Parameter], lr: float | None = None) -> list[dict[str, Any]]:
        """The trainable ``params`` in groups: the rest at ``lr`` (default: the config's), the backbone's at
        ``lr * backbone_lr_mult``; empty groups are left out."""
        lr = self.cfg.lr if lr is None else lr
        in_backbone = {id(p) for p in self.backbone.parameters()}
        trainable = [p for p in params if p.requires_grad]
        groups = [
            {"params": [p for p in trainable if id(p) not in in_backbone], "lr": lr},
            {"params": [p for p in trainable if id(p) in in_backbone], "lr": lr * self.cfg.backbone_lr_mult},
        ]
        return [g for g in groups if g["params"]]

    def make_optimizer(self, groups: list[dict[str, Any]]) -> torch.optim.Optimizer:
        """The config's optimizer (``sgd`` with momentum / nesterov, or ``adam``) and weight decay over ``groups``."""
        c = self.cfg
        if c.optimizer == "adam":
            return torch.optim.Adam(groups, lr=c.lr, weight_decay=c.weight_decay)
        return torch.optim.SGD(groups, lr=c.lr, momentum=c.momentum, nesterov=c.nesterov and c.momentum > 0, weight_decay=c.weight_decay)

    def make_scheduler(self, optimizer: torch.optim.Optimizer, anneal: bool | None = None, progress: Callable[[int], float] | None = None) -> dict[str, Any]:
        """Per-batch learning-rate factor (Ganin et al. 2016, Eq. 14: (1 + alpha p)^-beta with ``lr_anneal``, else 1);
        ``anneal`` overrides the config for this optimizer, ``progress`` maps the batches done to p (default: of the run)."""
        c = self.cfg
        annealed = c.lr_anneal if anneal is None else anneal
        at = progress or (lambda step: step / c.steps)
        factor = (lambda step: annealed_lr_factor(at(step), c.lr_alpha, c.lr_beta)) if annealed else (lambda step: 1.0)
        return {"scheduler": torch.optim.lr_scheduler.LambdaLR(optimizer, factor), "interval": "step"}

    def configure_optimizers(self) -> Any:
        optimizer = self.make_optimizer(self.param_groups(self.parameters()))
        return {"optimizer": optimizer, "lr_scheduler": self.make_scheduler(optimizer)}

    # ----- evaluation -------------------------------------------------------------------------
    def validation_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:
        labeled = isinstance(batch, (list, tuple))
        role = self.trainer.datamodule.eval_roles[dataloader_idx]
        f, logits = self.predict(batch[0] if labeled else batch, "target" if role.startswith("target") else "source")
        tasks = {name: self.heads[name](f).argmax(1) for name in self.tasks if name != "label"} if labeled else None
        self.collector.add(dataloader_idx, f, logits, batch[1] if labeled else None, tasks)

    def on_validation_epoch_end(self) -> None:
        splits = self.collector.take()
        if self.trainer.sanity_checking:
            return
        point = evaluation_point(splits, self.trainer.datamodule.eval_roles, self.tasks, self.num_classes, self.steps_done, self.progress)
        stage = self.stage(self.steps_done)
        self.history.append(point if stage is None else {**point, "stage": stage})
        for key, value in point.items():
            if isinstance(value, float):
                self.log(f"eval/{key}", value, sync_dist=True)  # the same on every rank: each evaluates every split

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["da_bench_history"] = self.history

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.history = checkpoint.get("da_bench_history", [])
