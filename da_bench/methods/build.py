"""The method object of a run: the spec's own class, or the class its loss terms call for."""

from __future__ import annotations

from da_bench.config import RunConfig, to_dict
from da_bench.methods.custom import AlternatingMethod
from da_bench.methods.module import Method
from da_bench.methods.spec import resolve_method
from da_bench.methods.terms import loss_terms
from da_bench.models.init import initialise
from da_bench.registry import LOSSES


def method_class(cfg: RunConfig) -> type[Method]:
    """The spec's ``module`` (a registered method class); for a loss method, :class:`AlternatingMethod` where a loss
    trains its own adversary in a separate update (``alternating``), else :class:`Method`."""
    spec = resolve_method(cfg.method)
    if spec.module is not None:
        return spec.module
    return AlternatingMethod if any(LOSSES.get(t.loss).alternating for t in loss_terms(cfg)) else Method


def build_method(cfg: RunConfig, input_shape: tuple[int, ...], num_classes: int) -> Method:
    """The run's method, its layers initialised by ``weight_init`` (all of them, a method's own extra heads and
    discriminators included; a ``pretrained`` backbone keeps its weights)."""
    method = method_class(cfg)(to_dict(cfg), input_shape, num_classes)
    initialise(method, cfg.weight_init, keep=[method.backbone] if cfg.pretrained else [])
    return method
