"""Methods: a backbone, heads and weighted adaptation losses, trained by Lightning.

loss = sum_tasks w_task CE_task(source) + sum_i w_i * s_i(p) * L_i(source, target), with p the
training progress and s_i a weight schedule. Methods are specs (data), registered by name; the
loop belongs to Lightning. A method whose loss has its own adversary trained in a separate
update (domain confusion) runs in :class:`AlternatingMethod`, with manual optimisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchmetrics.functional.classification import multiclass_accuracy

from da_bench.arguments import check_arguments
from da_bench.config import RunConfig
from da_bench.losses import StepOutputs
from da_bench.losses.base import check_output, probe
from da_bench.models.backbones import load_local_checkpoint
from da_bench.models.heads import bottleneck, mlp_classifier
from da_bench.registry import BACKBONES, LOSSES, METHODS, UnknownNameError, unknown_name_message
from da_bench.schedules import WEIGHT_SCHEDULES, annealed_lr_factor
from da_bench.selection import EvalOutputs, validator_scores


class DivergedError(RuntimeError):
    """Training produced a non-finite loss."""


@dataclass(frozen=True)
class LossTerm:
    loss: str
    weight: float = 1.0
    schedule: str = "constant"
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MethodSpec:
    name: str
    description: str
    losses: tuple[LossTerm, ...] = ()
    search_space: dict[str, Any] = field(default_factory=dict)


def register_method(spec: MethodSpec) -> MethodSpec:
    return METHODS.register(spec.name, spec)


COMMON_SPACE = {"lr": ("log", 1e-3, 1e-1)}
DEFAULT_WEIGHT_SPACE = ("log", 0.03, 3.0)
for _spec in (
    MethodSpec("source_only", "Source cross-entropy only: the no-adaptation baseline."),
    MethodSpec("dann", "DANN (Ganin et al. 2016): gradient reversal + domain classifier, lambda ramp.", (LossTerm("dann"),)),
    MethodSpec("cdan", "CDAN (Long et al. 2018): discriminator on the multilinear map of features and predictions.", (LossTerm("cdan"),)),
    MethodSpec("cdan_e", "CDAN+E (Long et al. 2018): CDAN with entropy conditioning.", (LossTerm("cdan_e"),)),
    MethodSpec("dan", "DAN (Long et al. 2015): multi-kernel MMD between source and target features.", (LossTerm("mmd"),)),
    MethodSpec("jan", "JAN (Long et al. 2017): joint MMD over features and predictions.", (LossTerm("jmmd"),)),
    MethodSpec("coral", "Deep CORAL (Sun & Saenko 2016): match feature covariances.", (LossTerm("coral", weight=1.0),)),
    MethodSpec(
        "confusion", "Domain confusion (Tzeng et al. 2015): alternating discriminator / uniform-confusion updates.", (LossTerm("confusion", weight=0.1),)
    ),
    MethodSpec("entropy_min", "Target entropy minimisation (Grandvalet & Bengio 2004) beside the source loss.", (LossTerm("entropy", weight=0.1),)),
):
    register_method(_spec)


def resolve_method(name: str) -> MethodSpec:
    """A registered method, or a single-loss method for a registered loss name (plugins)."""
    if name in METHODS:
        return METHODS.get(name)
    if name in LOSSES:
        return MethodSpec(name, LOSSES.get(name).one_line(), (LossTerm(name),))
    raise UnknownNameError(unknown_name_message("method", name, sorted(set(METHODS.names()) | set(LOSSES.names()))))


def loss_terms(cfg: RunConfig) -> list[LossTerm]:
    """The method's loss terms with the config's ``losses`` block applied (override or add)."""
    terms = {t.loss: t for t in resolve_method(cfg.method).losses}
    for name, over in cfg.losses.items():
        over = dict(over or {})
        check_arguments(f"hyperparameter of loss '{name}'", f"losses.{name}", LOSSES.get(name), over, {"weight": 1.0, "schedule": "constant"})
        base = terms.get(name, LossTerm(name))
        weight = float(over.pop("weight", base.weight))
        schedule = over.pop("schedule", base.schedule)
        if schedule not in WEIGHT_SCHEDULES:
            raise UnknownNameError(unknown_name_message("weight schedule", schedule, list(WEIGHT_SCHEDULES)))
        terms[name] = LossTerm(name, weight, schedule, {**base.params, **over})
    return [t for t in terms.values() if t.weight != 0.0]


def search_space(cfg: RunConfig) -> dict[str, Any]:
    """Config paths -> choices or ("log", lo, hi): the method's space plus each loss's declared space."""
    space: dict[str, Any] = {**COMMON_SPACE, **resolve_method(cfg.method).search_space}
    for term in loss_terms(cfg):
        for key, choices in LOSSES.get(term.loss).search_space.items():
            space.setdefault(f"losses.{term.loss}.{key}", choices)
        space.setdefault(f"losses.{term.loss}.weight", DEFAULT_WEIGHT_SPACE)  # only where the loss declares none
    return space


def backbone_arguments(cfg: RunConfig) -> dict[str, Any]:
    """The backbone's keyword arguments (``backbone_args``, plus ``pretrained`` when set), checked
    against its factory's signature: a misspelt or unsupported option fails before anything runs."""
    args = {**cfg.backbone_args, **({"pretrained": cfg.pretrained} if cfg.pretrained is not None else {})}
    check_arguments(f"argument of backbone '{cfg.backbone}'", "backbone_args", BACKBONES.get(cfg.backbone), args)
    return args


LABEL_MAPS = {"identity": None, "parity": (lambda y: y % 2, 2), "ge5": (lambda y: (y >= 5).long(), 2)}


class Method(pl.LightningModule):
    """Backbone -> (bottleneck) -> task heads, plus weighted adaptation losses."""

    def __init__(self, config: dict[str, Any], input_shape: tuple[int, ...], num_classes: int) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.cfg = RunConfig(**config)
        self.num_classes = num_classes
        self.backbone = self._build_backbone(input_shape)
        feature_dim = self.backbone.out_dim
        self.bottleneck = bottleneck(feature_dim, self.cfg.bottleneck_dim, self.cfg.bottleneck_dropout) if self.cfg.bottleneck_dim else nn.Identity()
        feature_dim = self.cfg.bottleneck_dim or feature_dim
        self.tasks = self._task_table()
        self.heads = nn.ModuleDict({name: mlp_classifier(feature_dim, k, tuple(self.cfg.head_hidden)) for name, (k, _, _) in self.tasks.items()})
        self.terms = loss_terms(self.cfg)
        if self.cfg.mode != "uda" and self.terms:
            raise ValueError(
                f"Mode '{self.cfg.mode}' never shows target data to training, so adaptation losses {[t.loss for t in self.terms]}"
                f" cannot run; use method 'source_only'."
            )
        self.adaptation = nn.ModuleDict({t.loss: LOSSES.get(t.loss)(feature_dim=feature_dim, num_classes=num_classes, **t.params) for t in self.terms})
        for name, loss in self.adaptation.items():
            probe(name, loss, num_classes)
        self.history: list[dict[str, Any]] = []
        self._eval_buffers: dict[int, dict[str, list[Tensor]]] = {}
        if self.cfg.init_checkpoint:
            load_local_checkpoint(self, self.cfg.init_checkpoint)

    # ----- construction -------------------------------------------------------------------
    def _build_backbone(self, input_shape: tuple[int, ...]) -> nn.Module:
        factory = BACKBONES.get(self.cfg.backbone)
        shape_args = {"in_dim": input_shape[0]} if len(input_shape) == 1 else {"in_channels": input_shape[0]}
        net = factory(**shape_args, **backbone_arguments(self.cfg))
        if self.cfg.freeze_backbone:
            net.requires_grad_(False)
        return net

    def _task_table(self) -> dict[str, tuple[int, float, str]]:
        """name -> (classes, loss weight, label map); 'label' is the main task."""
        table = {"label": (self.num_classes, 1.0, "identity")}
        for name, spec in self.cfg.tasks.items():
            label_map = spec.get("labels", "identity")
            if label_map not in LABEL_MAPS:
                raise UnknownNameError(unknown_name_message("label map", label_map, list(LABEL_MAPS)))
            classes = self.num_classes if LABEL_MAPS[label_map] is None else LABEL_MAPS[label_map][1]
            table[name] = (classes, float(spec.get("weight", 1.0)), label_map)
        return table

    def train(self, mode: bool = True) -> "Method":
        super().train(mode)
        if self.cfg.freeze_backbone:
            self.backbone.eval()  # a frozen extractor keeps its batch-norm statistics
        return self

    # ----- forward ----------------------------------------------------------------------------
    def on_fit_start(self) -> None:
        if self.cfg.channels_last:
            self.to(memory_format=torch.channels_last)

    def features(self, x: Tensor) -> Tensor:
        if self.cfg.channels_last and x.ndim == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return self.bottleneck(self.backbone(x))

    def forward(self, x: Tensor) -> Tensor:
        return self.heads["label"](self.features(x))

    def task_labels(self, task: str, y: Tensor) -> Tensor:
        mapping = LABEL_MAPS[self.tasks[task][2]]
        return y if mapping is None else mapping[0](y)

    optimizer_steps_per_batch = 1

    @property
    def steps_done(self) -> int:
        """Training batches done (Lightning counts one global step per optimizer step)."""
        return self.global_step // self.optimizer_steps_per_batch

    @property
    def progress(self) -> float:
        return min(1.0, self.steps_done / self.cfg.steps)

    def supervised_loss(self, features: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
        """Weighted sum of task cross-entropies, and the main task's logits."""
        total = features.new_zeros(())
        main_logits = None
        for name, (_, weight, _) in self.tasks.items():
            logits = self.heads[name](features)
            total = total + weight * F.cross_entropy(logits.float(), self.task_labels(name, labels))
            if name == "label":
                main_logits = logits
        assert main_logits is not None
        return total, main_logits

    def step_outputs(self, batch: dict[str, Any]) -> tuple[Tensor, StepOutputs | None, Tensor]:
        """One forward pass over source (+ labeled target) + unlabeled target, concatenated so that
        batch-norm sees both domains (as in TLlib); returns supervised loss, loss inputs, source logits."""
        xs, ys = batch["source"]
        parts, labels = [xs], [ys]
        if "target_labeled" in batch:
            parts.append(batch["target_labeled"][0])
            labels.append(batch["target_labeled"][1])
        n_sup = sum(p.shape[0] for p in parts)
        xt = batch.get("target")
        x = torch.cat(parts + ([xt] if xt is not None else []))
        f = self.features(x)
        sup_loss, logits = self.supervised_loss(f[:n_sup], torch.cat(labels))
        if xt is None:
            return sup_loss, None, logits
        target_logits = self.heads["label"](f[n_sup:])
        out = StepOutputs(f[: xs.shape[0]], f[n_sup:], logits[: xs.shape[0]], target_logits, ys, self.progress)
        return sup_loss, out, logits

    def adaptation_loss(self, out: StepOutputs | None) -> Tensor:
        total = torch.zeros((), device=self.device)
        if out is None:
            return total
        for term in self.terms:
            value = check_output(term.loss, self.adaptation[term.loss](out))
            self.log_step(f"train/{term.loss}", value)
            total = total + term.weight * WEIGHT_SCHEDULES[term.schedule](out.progress) * value
        return total

    def check_finite(self, loss: Tensor) -> None:
        if not torch.isfinite(loss):
            raise DivergedError(f"loss became {loss.item()} at step {self.steps_done} (diverged); lower the learning rate or the loss weights")

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        sup_loss, out, _ = self.step_outputs(batch)
        loss = sup_loss + self.adaptation_loss(out)
        self.check_finite(loss)
        self.log_step("train/loss", loss)
        return loss

    def log_step(self, name: str, value: Tensor) -> None:
        """Log a training scalar only on the steps the logger writes (Lightning drops the others anyway).

        The decision is Lightning's own (as its LearningRateMonitor asks it), so the row written at batch
        ``k * log_every_n_steps`` holds that batch's value, with any number of optimizer steps per batch."""
        if self._trainer is None or self.trainer._logger_connector.should_update_logs:
            self.log(name, value.detach(), on_step=True, on_epoch=False)

    # ----- optimisation -------------------------------------------------------------------------
    def param_groups(self, exclude: set[int] | None = None) -> list[dict[str, Any]]:
        exclude = exclude or set()
        backbone = [p for p in self.backbone.parameters() if p.requires_grad and id(p) not in exclude]
        bb_ids = {id(p) for p in self.backbone.parameters()}
        rest = [p for p in self.parameters() if p.requires_grad and id(p) not in bb_ids and id(p) not in exclude]
        groups = [{"params": rest, "lr": self.cfg.lr}]
        if backbone:
            groups.append({"params": backbone, "lr": self.cfg.lr * self.cfg.backbone_lr_mult})
        return groups

    def make_optimizer(self, groups: list[dict[str, Any]]) -> torch.optim.Optimizer:
        c = self.cfg
        if c.optimizer == "adam":
            return torch.optim.Adam(groups, lr=c.lr, weight_decay=c.weight_decay)
        return torch.optim.SGD(groups, lr=c.lr, momentum=c.momentum, nesterov=c.nesterov and c.momentum > 0, weight_decay=c.weight_decay)

    def make_scheduler(self, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
        c = self.cfg
        factor = (lambda step: annealed_lr_factor(step / c.steps, c.lr_alpha, c.lr_beta)) if c.lr_anneal else (lambda step: 1.0)
        return {"scheduler": torch.optim.lr_scheduler.LambdaLR(optimizer, factor), "interval": "step"}

    def configure_optimizers(self) -> Any:
        optimizer = self.make_optimizer(self.param_groups())
        return {"optimizer": optimizer, "lr_scheduler": self.make_scheduler(optimizer)}

    # ----- evaluation -------------------------------------------------------------------------
    def validation_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:
        x = batch[0] if isinstance(batch, (list, tuple)) else batch
        f = self.features(x)
        buf = self._eval_buffers.setdefault(dataloader_idx, {"logits": [], "features": [], "labels": [], "tasks": []})
        buf["features"].append(f.float().cpu())
        buf["logits"].append(self.heads["label"](f).float().cpu())
        if isinstance(batch, (list, tuple)):
            buf["labels"].append(batch[1].cpu())
            buf["tasks"].append({name: self.heads[name](f).argmax(1).cpu() for name in self.tasks if name != "label"})

    def _accuracy(self, logits: Tensor, labels: Tensor, per_class: bool = False) -> Any:
        average = "none" if per_class else "micro"
        acc = multiclass_accuracy(logits.argmax(1), labels, num_classes=self.num_classes, average=average)
        return [round(float(a), 6) for a in acc] if per_class else float(acc)

    def on_validation_epoch_end(self) -> None:
        if self.trainer.sanity_checking:
            self._eval_buffers.clear()
            return
        cat = {i: {k: torch.cat(v) if v and k != "tasks" else v for k, v in buf.items()} for i, buf in self._eval_buffers.items()}
        self._eval_buffers.clear()
        roles = self.trainer.datamodule.eval_roles
        point: dict[str, Any] = {"step": self.steps_done, "progress": self.progress}
        for idx, role in enumerate(roles):
            if role == "target_unlabeled" or idx not in cat:
                continue
            data = cat[idx]
            point[f"{role}_acc"] = self._accuracy(data["logits"], data["labels"])
            point[f"{role}_per_class"] = self._accuracy(data["logits"], data["labels"], per_class=True)
            for task in self.tasks:
                if task != "label":
                    preds = torch.cat([t[task] for t in data["tasks"]])
                    point[f"{role}_{task}_acc"] = float((preds == self.task_labels(task, data["labels"])).float().mean())
        if "source_val" in roles and "target_unlabeled" in roles:
            s, t = cat[roles.index("source_val")], cat[roles.index("target_unlabeled")]
            point.update(validator_scores(EvalOutputs(s["logits"], s["features"], s["labels"], t["logits"], t["features"])))
        self.history.append(point)
        for key, value in point.items():
            if isinstance(value, float):
                self.log(f"eval/{key}", value)

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["da_bench_history"] = self.history

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.history = checkpoint.get("da_bench_history", [])


class AlternatingMethod(Method):
    """Manual optimisation: per step, first the adversaries on detached features, then the model."""

    optimizer_steps_per_batch = 2

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.automatic_optimization = False

    def adversary_params(self) -> list[nn.Parameter]:
        return [p for t in self.terms for p in self.adaptation[t.loss].adversary_parameters()]

    def configure_optimizers(self) -> Any:
        adversary = self.adversary_params()
        main = self.make_optimizer(self.param_groups(exclude={id(p) for p in adversary}))
        adv = self.make_optimizer([{"params": adversary, "lr": self.cfg.lr}])
        return [main, adv], [self.make_scheduler(main), self.make_scheduler(adv)]

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        main_opt, adv_opt = self.optimizers()
        sup_loss, out, _ = self.step_outputs(batch)
        assert out is not None
        adv_loss = sum(self.adaptation[t.loss].adversary_loss(out) for t in self.terms if self.adaptation[t.loss].alternating)
        adv_opt.zero_grad()
        self.manual_backward(adv_loss)
        adv_opt.step()
        loss = sup_loss + self.adaptation_loss(out)
        self.check_finite(loss)
        main_opt.zero_grad()
        self.manual_backward(loss)
        main_opt.step()  # adversary grads from this backward are cleared before its next step
        for sched in self.lr_schedulers():
            sched.step()
        self.log_step("train/loss", loss)
        self.log_step("train/adversary", adv_loss)
        return loss


def build_method(cfg: RunConfig, input_shape: tuple[int, ...], num_classes: int) -> Method:
    from da_bench.config import to_dict

    alternating = any(getattr(LOSSES.get(t.loss), "alternating", False) for t in loss_terms(cfg))
    cls = AlternatingMethod if alternating else Method
    return cls(to_dict(cfg), input_shape, num_classes)
