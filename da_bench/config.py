"""Typed run configuration: YAML files, ``key=value`` overrides, validation with did-you-mean errors."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from da_bench.registry import closest_first


class ConfigError(ValueError):
    """A bad configuration value; the message is one sentence naming the key and the fix."""


@dataclass
class RunConfig:
    """Everything that defines one run. Fields not in ``NON_IDENTITY_KEYS`` make up the run id."""

    method: str = "source_only"
    source: str | list[str] = "mnist5k"
    target: str | None = "mnistm_like"
    mode: str = "uda"  # uda | dg (target never seen) | multitask (no target)
    backbone: str = "dann_digits"
    backbone_args: dict[str, Any] = field(default_factory=dict)
    pretrained: str | None = None
    freeze_backbone: bool = False
    backbone_bn: str = "train"  # train | eval: the backbone's batch norm keeps its (pretrained) statistics while fine-tuned
    feature_cache: bool = True  # frozen photo backbone on image files: train on cached features (da_bench.data.feature_cache)
    init_checkpoint: str | None = None
    weight_init: str = "default"  # layers built from scratch: default (PyTorch's) | xavier (Glorot uniform, zero bias)
    bottleneck_dim: int = 0
    bottleneck_dropout: float = 0.5
    head_hidden: list[int] = field(default_factory=lambda: [100, 100])
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    losses: dict[str, dict[str, Any]] = field(default_factory=dict)
    seed: int = 0
    steps: int = 1000
    eval_every: int = 250
    batch_size: int = 64
    optimizer: str = "sgd"
    lr: float = 0.01
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 0.0
    lr_anneal: bool = True
    lr_alpha: float = 10.0
    lr_beta: float = 0.75
    backbone_lr_mult: float = 1.0
    precision: str = "32"
    channels_last: bool = False
    compile: bool = False  # torch.compile of backbone, bottleneck and heads; not part of the run id (float order only)
    compile_mode: str = "default"  # torch.compile mode: default | reduce-overhead (CUDA graphs on a GPU) | max-autotune
    k_shot: int = 0
    source_per_class: int = 0  # classic methods: labeled source samples drawn per class with the run's seed (0: all)
    class_balanced: bool = False
    val_fraction: float = 0.1
    target_test_fraction: float = 0.5
    image_size: int | None = None
    image_fit: str = "resize"  # in-memory digit images of another size: resize | center (crop or pad)
    # in-memory digits: half ((x - 0.5) / 0.5) | source_mean (x - source channel mean m) | half_source_mean ((x - m) / 0.5)
    # | source_mean_image (x - the source's mean image)
    pixel_norm: str = "half"
    validator_samples: int = 1000
    data_root: str | None = None
    num_workers: int = 2
    loggers: list[str] = field(default_factory=lambda: ["csv"])
    threads: int | None = None
    device: str = "auto"
    devices: int = 1  # DDP processes, one per device (a GPU, or a CPU process); more than 1 needs strategy 'ddp'
    strategy: str = "auto"  # auto (one device) | ddp (da_bench.runner.distributed; batch_size stays the global batch)
    # classic feature-level methods (da_bench.classic): base classifier, its and the method's arguments, preprocessing steps
    classifier: str = "1nn"
    classifier_args: dict[str, Any] = field(default_factory=dict)
    method_args: dict[str, Any] = field(default_factory=dict)
    preprocess: list[str] = field(default_factory=list)


# devices and strategy: batch_size is global (da_bench.runner.distributed), so DDP changes float order only
NON_IDENTITY_KEYS = {"data_root", "num_workers", "loggers", "threads", "device", "compile", "compile_mode", "devices", "strategy"}
CHOICES = {
    "mode": ["uda", "dg", "multitask"],
    "optimizer": ["sgd", "adam"],
    "precision": ["32", "16-mixed", "bf16-mixed"],
    "device": ["auto", "cpu", "cuda"],
    "strategy": ["auto", "ddp"],
    "image_fit": ["resize", "center"],
    "pixel_norm": ["half", "source_mean", "half_source_mean", "source_mean_image"],
    "weight_init": ["default", "xavier"],
    "backbone_bn": ["train", "eval"],
    "compile_mode": ["default", "reduce-overhead", "max-autotune"],
}
POSITIVE = {"steps", "eval_every", "batch_size", "lr", "validator_samples", "devices"}
OPTIONAL_POSITIVE = {"threads", "image_size"}
NON_NEGATIVE = {"seed", "weight_decay", "lr_alpha", "lr_beta", "backbone_lr_mult", "bottleneck_dim", "num_workers", "k_shot", "source_per_class"}
FRACTIONS = {"val_fraction", "target_test_fraction"}
LOGGERS = ["csv", "tensorboard", "wandb"]
NESTED = {"losses": "losses.dann.weight=0.5", "tasks": "tasks.parity.labels=parity"}
FIELDS = {f.name: f for f in dataclasses.fields(RunConfig)}
HINTS = typing.get_type_hints(RunConfig)  # once: evaluating the string annotations took 4 ms a field, 0.2 s a config


def _type_ok(value: Any, annotation: Any) -> bool:
    hint = HINTS[annotation] if isinstance(annotation, str) else annotation
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, arg) for arg in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is Any:
        return True
    base = origin or hint
    return isinstance(value, base)


def type_name(hint: Any) -> str:
    """``float``, ``str | list[str]``: a type hint as a user reads it."""
    return hint.__name__ if isinstance(hint, type) and not typing.get_args(hint) else str(hint).replace("typing.", "")


def unknown_key_message(key: str, valid: list[str] | set[str], kind: str = "config key") -> str:
    """``Unknown <kind> 'key'. Did you mean ...? Valid keys: ...`` (kind: config key, sweep key, ...)."""
    ranked = closest_first(key, sorted(valid))
    return f"Unknown {kind} '{key}'. Did you mean '{ranked[0]}'? Valid keys: {', '.join(sorted(valid))}."


def invalid_choice(key: str, value: Any, choices: list[str]) -> ConfigError:
    """A config value that is not one of ``choices``, with the closest one."""
    ranked = closest_first(str(value), choices)
    return ConfigError(f"Config key '{key}' has invalid value {value!r}. Did you mean '{ranked[0]}'? Valid choices: {', '.join(choices)}.")


def _check_ranges(cfg: RunConfig) -> None:
    for name in POSITIVE | {n for n in OPTIONAL_POSITIVE if getattr(cfg, n) is not None}:
        if getattr(cfg, name) <= 0:
            raise ConfigError(f"Config key '{name}' must be positive, got {getattr(cfg, name)!r}.")
    for name in NON_NEGATIVE:
        if getattr(cfg, name) < 0:
            raise ConfigError(f"Config key '{name}' must be 0 or more, got {getattr(cfg, name)!r}.")
    for name in FRACTIONS:
        if not 0.0 < getattr(cfg, name) < 1.0:
            raise ConfigError(f"Config key '{name}' must lie strictly between 0 and 1, got {getattr(cfg, name)!r}.")
    if not 0.0 <= cfg.bottleneck_dropout < 1.0:
        raise ConfigError(f"Config key 'bottleneck_dropout' must lie in [0, 1), got {cfg.bottleneck_dropout!r}.")
    if not 0.0 <= cfg.momentum < 1.0:
        raise ConfigError(f"Config key 'momentum' must lie in [0, 1), got {cfg.momentum!r}.")
    if not all(isinstance(h, int) and not isinstance(h, bool) and h > 0 for h in cfg.head_hidden):
        raise ConfigError(f"Config key 'head_hidden' must be a list of positive layer widths (e.g. [100, 100] or []), got {cfg.head_hidden!r}.")


def _check_nested(cfg: RunConfig) -> None:
    """``losses`` and ``tasks`` map names to mappings of settings; ``loggers`` names known loggers."""
    for key, example in NESTED.items():
        for name, value in getattr(cfg, key).items():
            if value is not None and not isinstance(value, dict):
                raise ConfigError(f"Config key '{key}.{name}' must be a mapping of settings (e.g. {example}), got {value!r}.")
    for logger in cfg.loggers:
        if logger not in LOGGERS:
            raise invalid_choice("loggers", logger, LOGGERS)


def validate(cfg: RunConfig) -> RunConfig:
    """Check types, choices and ranges; raise :class:`ConfigError` with one clear sentence."""
    for name in FIELDS:
        value = getattr(cfg, name)
        if not _type_ok(value, name):
            raise ConfigError(f"Config key '{name}' must be of type {type_name(HINTS[name])}, got {value!r}.")
    if isinstance(cfg.source, list) and not (cfg.source and all(isinstance(d, str) for d in cfg.source)):
        raise ConfigError(f"Config key 'source' must name a domain or a non-empty list of domains, got {cfg.source!r}.")
    for name, choices in CHOICES.items():
        value = getattr(cfg, name)
        if value not in choices:
            raise invalid_choice(name, value, choices)
    _check_ranges(cfg)
    _check_nested(cfg)
    if cfg.steps % cfg.eval_every:
        raise ConfigError(f"Config key 'steps' ({cfg.steps}) must be a multiple of 'eval_every' ({cfg.eval_every}) so that the last step is evaluated.")
    if cfg.compile_mode != "default" and not cfg.compile:
        raise ConfigError(f"Config key 'compile_mode' is '{cfg.compile_mode}' but 'compile' is false; set compile=true to compile.")
    if cfg.weight_init != "default" and cfg.init_checkpoint:
        raise ConfigError("Config key 'weight_init' would overwrite the weights 'init_checkpoint' restores; set only one of them.")
    if cfg.devices > 1 and cfg.strategy == "auto":
        raise ConfigError(f"Config key 'devices' is {cfg.devices} but 'strategy' is 'auto', which trains on one device; set 'strategy: ddp' or 'devices: 1'.")
    if cfg.batch_size % cfg.devices:
        raise ConfigError(
            f"Config key 'batch_size' ({cfg.batch_size}) must be a multiple of 'devices' ({cfg.devices}): each device trains on an equal share of every batch."
        )
    if cfg.mode == "multitask" and cfg.target is not None:
        raise ConfigError("Mode 'multitask' learns tasks on the source domains only; set 'target: null'.")
    if cfg.mode != "multitask" and cfg.target is None:
        raise ConfigError(f"Mode '{cfg.mode}' needs a 'target' domain; set one, or use 'mode: multitask'.")
    return cfg


def parse_value(text: str) -> Any:
    """Parse an override value with YAML rules: ``0.1`` -> float, ``[1,2]`` -> list, ``null`` -> None."""
    return yaml.safe_load(text)


def set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``a.b.c=value`` inside nested dicts, creating levels as needed."""
    keys = dotted.split(".")
    node = data
    for k in keys[:-1]:
        node = node.setdefault(k, {})
        if not isinstance(node, dict):
            raise ConfigError(f"Override '{dotted}' goes through '{k}', which is not a mapping.")
    node[keys[-1]] = value


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            raise ConfigError(f"Override '{pair}' is not of the form key=value.")
        key, text = pair.split("=", 1)
        try:
            value = parse_value(text)
        except yaml.YAMLError:
            raise ConfigError(
                f"Override '{pair}' has a value that is not valid YAML; quote the whole override so the shell keeps it in one piece"
                ", e.g. 'method_args={dim: 30}'."
            ) from None
        set_path(out, key.strip(), value)
    return out


def deep_merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for k, v in update.items():
        merged[k] = deep_merge(merged[k], v) if isinstance(v, dict) and isinstance(merged.get(k), dict) else v
    return merged


def from_dict(data: dict[str, Any]) -> RunConfig:
    for key in data:
        if key not in FIELDS:
            raise ConfigError(unknown_key_message(key, list(FIELDS)))
    values = dict(data)
    if isinstance(values.get("precision"), int):
        values["precision"] = str(values["precision"])
    return validate(RunConfig(**values))


def load_yaml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"Config file '{path}' does not exist; pass the path of a YAML file.")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"Config file '{path}' is not valid YAML ({str(err).splitlines()[0]}); fix its syntax.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"Config file '{path}' is not text (not UTF-8); pass a YAML file.") from None
    if not isinstance(data, dict):
        raise ConfigError(f"Config file '{path}' must hold a mapping of keys to values.")
    return data


def to_dict(cfg: RunConfig) -> dict[str, Any]:
    return dataclasses.asdict(cfg)


def run_id(cfg: RunConfig) -> str:
    """Stable id: a hash of the config values that differ from the defaults, without the keys that
    do not change results; adding a new option with a default keeps every earlier id (and record)."""
    defaults = to_dict(RunConfig())
    identity = {k: v for k, v in to_dict(cfg).items() if k not in NON_IDENTITY_KEYS and v != defaults[k]}
    return hashlib.sha1(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:12]
