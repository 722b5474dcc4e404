"""Method specs: what a method is (a description, weighted loss terms, a search space, the class that trains it, its
setting), registered by name in :data:`da_bench.registry.METHODS`, and the built-in loss methods."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from da_bench.registry import LOSSES, METHODS, UnknownNameError, unknown_name_message


@dataclass(frozen=True)
class LossTerm:
    """One weighted adaptation loss: ``weight * schedule(p) * loss(outputs)``."""

    loss: str
    weight: float = 1.0
    schedule: str = "constant"
    params: dict[str, Any] = field(default_factory=dict)


# a method's setting and what it needs, as ``da-bench methods`` lists them: 'uda' trains on labeled source and
# unlabeled target batches together; 'source-free' adapts a source model with target data alone; 'test-time' adapts
# while predicting the target test stream
SETTINGS = {
    "uda": "source labels + target batches",
    "source-free": "a source stage, then target batches alone",
    "test-time": "source training + the target test stream",
}


@dataclass(frozen=True)
class MethodSpec:
    """A method as data. ``module`` is the LightningModule class that trains it; ``None`` means the class the
    losses call for (:func:`da_bench.methods.build.method_class`). ``setting`` is a key of :data:`SETTINGS`."""

    name: str
    description: str
    losses: tuple[LossTerm, ...] = ()
    search_space: dict[str, Any] = field(default_factory=dict)
    module: type | None = None
    setting: str = "uda"

    def __post_init__(self) -> None:
        if self.setting not in SETTINGS:
            raise ValueError(f"Method '{self.name}' declares setting '{self.setting}'; use one of {', '.join(SETTINGS)}.")

    @property
    def needs(self) -> str:
        """What the method needs, in words: its setting's, or the source alone for a method that never reads the target."""
        if self.setting == "uda" and not self.losses and not getattr(self.module, "uses_target", False):
            return "source labels alone"
        return SETTINGS[self.setting]


def register_method(spec: MethodSpec | str) -> Any:
    """Register a :class:`MethodSpec`, or, called with a name, a decorator registering a method class
    (a :class:`~da_bench.methods.module.Method` subclass that owns its training step)."""
    if isinstance(spec, MethodSpec):
        return METHODS.register(spec.name, spec)
    register: Callable[[type], type] = METHODS.register(spec)
    return register


def as_spec(name: str, entry: Any) -> MethodSpec:
    """A registry entry as a spec: a method class (registered directly, or through an entry point) becomes the
    spec of its class attributes ``description``, ``losses``, ``search_space`` and ``setting``."""
    if isinstance(entry, MethodSpec):
        return entry
    return MethodSpec(name, entry.description, tuple(entry.losses), dict(entry.search_space), module=entry, setting=entry.setting)


def resolve_method(name: str) -> MethodSpec:
    """A registered method, or a single-loss method for a registered loss name (plugins)."""
    if name in METHODS:
        return as_spec(name, METHODS.get(name))
    if name in LOSSES:
        return MethodSpec(name, LOSSES.get(name).one_line(), (LossTerm(name),))
    raise UnknownNameError(unknown_name_message("method", name, sorted(set(METHODS.names()) | set(LOSSES.names()))))


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
    MethodSpec("mcc", "MCC (Jin et al. 2020): minimum class confusion on the target predictions.", (LossTerm("mcc"),)),
    MethodSpec(
        "dann_bsp", "DANN + BSP (Chen et al. 2019): penalise the largest singular value of each domain's features.", (LossTerm("dann"), LossTerm("bsp", 1e-4))
    ),
    MethodSpec(
        "cdan_bsp", "CDAN + BSP (Chen et al. 2019): penalise the largest singular value of each domain's features.", (LossTerm("cdan"), LossTerm("bsp", 1e-4))
    ),
    MethodSpec("afn", "AFN (Xu et al. 2019): stepwise adaptive feature norm (SAFN) on both domains.", (LossTerm("afn", weight=0.05),)),
):
    register_method(_spec)
