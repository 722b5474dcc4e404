"""Classic methods in the one method registry (:data:`da_bench.registry.METHODS`), and the checks of a classic run's config.

A :class:`ClassicSpec` is a method spec whose ``estimator`` is a :class:`~da_bench.classic.base.ClassicEstimator`
class; ``method=jda`` then runs through :mod:`da_bench.classic.run` instead of Lightning. Plugins register their
own with :func:`register_classic`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sklearn.utils.validation import has_fit_parameter

from da_bench.arguments import accepted_arguments, check_arguments
from da_bench.classic.base import ClassicEstimator, NoAdaptation
from da_bench.classic.classifiers import CLASSIFIERS
from da_bench.classic.coral import CORAL
from da_bench.classic.gfk import GFK
from da_bench.classic.kliep import KLIEP
from da_bench.classic.kmm import KMM
from da_bench.classic.preprocess import check_steps
from da_bench.classic.sa import SA
from da_bench.classic.tca import JDA, PCA, TCA
from da_bench.classic.tradaboost import TrAdaBoost
from da_bench.config import FIELDS, NON_IDENTITY_KEYS, ConfigError, RunConfig, to_dict
from da_bench.methods import MethodSpec, register_method
from da_bench.registry import METHODS


@dataclass(frozen=True)
class ClassicSpec(MethodSpec):
    estimator: type[ClassicEstimator] = NoAdaptation

    @property
    def needs(self) -> str:
        if self.estimator is NoAdaptation:
            return "source features + labels alone"
        return f"source labels + {'k_shot labeled' if self.estimator.uses_target_labels else 'unlabeled'} target features"


def register_classic(name: str, estimator: type[ClassicEstimator]) -> ClassicSpec:
    return register_method(ClassicSpec(name, (estimator.__doc__ or name).strip().splitlines()[0], estimator=estimator))


for _name, _estimator in (
    ("no_adapt", NoAdaptation),
    ("pca", PCA),
    ("tca", TCA),
    ("jda", JDA),
    ("gfk", GFK),
    ("sa", SA),
    ("coral_classic", CORAL),  # 'coral' is Deep CORAL
    ("kmm", KMM),
    ("kliep", KLIEP),
    ("tradaboost", TrAdaBoost),
):
    register_classic(_name, _estimator)

CLASSIC_KEYS = ("classifier", "classifier_args", "method_args", "preprocess", "source_per_class")
USED_KEYS = {"method", "source", "target", "mode", "seed", "k_shot", "backbone", "backbone_args", "pretrained", "image_size", *CLASSIC_KEYS}
SUPPLIED = {"classifier", "seed"}  # estimator arguments da_bench fills from the config keys of the same name
DEFAULTS = to_dict(RunConfig())


def is_classic(method: str) -> bool:
    return method in METHODS and isinstance(METHODS.get(method), ClassicSpec)


def _arguments(target: Any, given: dict[str, Any], key: str, what: str, seed: int) -> dict[str, Any]:
    """``given`` checked against ``target``'s signature, plus the run's seed where ``target`` takes one."""
    for name in SUPPLIED & set(given):
        raise ConfigError(f"Config key '{key}.{name}' is set by the config key '{name}'; set that instead.")
    check_arguments(what, key, target, given)
    return {**given, **({"seed": seed} if "seed" in accepted_arguments(target) else {})}


def build_estimator(cfg: RunConfig) -> ClassicEstimator:
    """The configured estimator with its base classifier; every argument checked, nothing fitted."""
    spec: ClassicSpec = METHODS.get(cfg.method)
    factory = CLASSIFIERS.get(cfg.classifier)
    classifier = factory(**_arguments(factory, cfg.classifier_args, "classifier_args", f"argument of classifier '{cfg.classifier}'", cfg.seed))
    args = _arguments(spec.estimator, cfg.method_args, "method_args", f"argument of method '{cfg.method}'", cfg.seed)
    return spec.estimator(**args, classifier=classifier)


def check_classic(cfg: RunConfig) -> None:
    """Everything a classic run can check before loading data, each failure one sentence."""
    estimator = build_estimator(cfg)
    check_steps(cfg.preprocess)
    if cfg.mode != "uda":
        raise ConfigError(f"Classic method '{cfg.method}' adapts to an unlabeled target domain, so it runs in mode 'uda' only; remove 'mode: {cfg.mode}'.")
    if estimator.uses_target_labels and cfg.k_shot == 0:
        raise ConfigError(f"Method '{cfg.method}' learns from labeled target samples; set k_shot (labeled target samples per class), e.g. k_shot=3.")
    if estimator.reweights_source and not has_fit_parameter(estimator.classifier, "sample_weight"):
        raise ConfigError(
            f"Method '{cfg.method}' reweights source samples, which classifier '{cfg.classifier}' cannot use; set classifier=svm or classifier=logreg."
        )
    for key in FIELDS:
        if key not in USED_KEYS | NON_IDENTITY_KEYS and getattr(cfg, key) != DEFAULTS[key]:
            raise ConfigError(f"Config key '{key}' has no effect on classic method '{cfg.method}' (it trains no network); remove it.")


def refuse_classic_keys(cfg: RunConfig) -> None:
    """A network-training method refuses the classic-only keys rather than ignoring them (``method_args`` it checks
    itself: :mod:`da_bench.methods.hyperparameters`)."""
    for key in set(CLASSIC_KEYS) - {"method_args"}:
        if getattr(cfg, key) != DEFAULTS[key]:
            raise ConfigError(f"Config key '{key}' applies to classic methods only ({', '.join(classic_names())}); remove it for method '{cfg.method}'.")


def classic_names() -> list[str]:
    return [name for name in METHODS.names() if is_classic(name)]
