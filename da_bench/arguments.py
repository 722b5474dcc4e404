"""Keyword arguments a user passes to a registered part (loss hyperparameters, backbone options),
checked against the part's own signature before anything runs: unknown names get a did-you-mean,
values whose type differs from the default's get one sentence."""

from __future__ import annotations

import inspect
from typing import Any, Callable

from da_bench.config import ConfigError
from da_bench.registry import UnknownNameError, unknown_name_message

RESERVED = {"self", "feature_dim", "num_classes", "in_channels", "in_dim", "image_side"}  # supplied by da_bench, not by the user


def accepted_arguments(target: type | Callable[..., Any]) -> dict[str, Any]:
    """Keyword name -> default value (``inspect.Parameter.empty`` when required) of a callable, or of
    a class's ``__init__`` chain (a subclass forwarding ``**kwargs`` to its base accepts the base's too)."""
    inits = [k.__dict__["__init__"] for k in target.__mro__ if "__init__" in k.__dict__] if inspect.isclass(target) else [target]
    accepted: dict[str, Any] = {}
    for init in inits:
        params = inspect.signature(init).parameters.values()
        for p in params:
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in RESERVED:
                accepted.setdefault(p.name, p.default)
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            break
    return accepted


def _same_kind(value: Any, default: Any) -> bool:
    if default is None or default is inspect.Parameter.empty:
        return True
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, (list, tuple)):
        return isinstance(value, (list, tuple))
    return isinstance(value, type(default))


def check_arguments(what: str, key: str, target: type | Callable[..., Any], given: dict[str, Any], extra: dict[str, Any] | None = None) -> None:
    """Refuse an unknown or mistyped argument in one sentence; ``key`` is the config path shown to the user
    (e.g. ``losses.dann``), ``extra`` adds arguments handled outside ``target`` (e.g. a loss's ``weight``)."""
    check_values(what, key, {**accepted_arguments(target), **(extra or {})}, given)


def check_values(what: str, key: str, accepted: dict[str, Any], given: dict[str, Any]) -> None:
    """Refuse a name of ``given`` that ``accepted`` (name -> default) lacks, or a value of another type than its
    default, in one sentence (:func:`check_arguments` for a callable's own arguments)."""
    for name, value in given.items():
        if name not in accepted:
            raise UnknownNameError(unknown_name_message(what, name, sorted(accepted)))
        default = accepted[name]
        if not _same_kind(value, default):
            raise ConfigError(f"Config key '{key}.{name}' must be of type {type(default).__name__} (default {default!r}), got {value!r}.")
