"""A method class's own hyperparameters, set per run by the config's ``method_args``.

A method that owns its training step keeps its hyperparameters as class attributes (MCD's ``num_k``, ADDA's
``pretrain_fraction``, FixMatch's ``threshold``, ...). ``method_args: {num_k: 2}`` sets them for one run, so a sweep
can grid them (``grid: {method_args.num_k: [2, 4]}``) and a changed value changes the run id; a plugin subclass's
attributes are hyperparameters too. Loss methods have none: their hyperparameters are their losses' arguments
(``losses.<loss>.<argument>``).
"""

from __future__ import annotations

from typing import Any

from da_bench.arguments import check_values
from da_bench.config import ConfigError
from da_bench.methods.module import Method

PLAIN = (bool, int, float, str, tuple)


def method_hyperparameters(cls: type[Method]) -> dict[str, Any]:
    """Name -> default of the public, plainly valued class attributes ``cls`` and its bases below :class:`Method`
    declare (what :class:`Method` itself declares, such as ``setting`` or ``uses_target``, is structure, not a
    hyperparameter)."""
    found: dict[str, Any] = {}
    for klass in cls.__mro__:
        if klass is Method:
            break
        for name, value in vars(klass).items():
            if not name.startswith("_") and name not in vars(Method) and isinstance(value, PLAIN):
                found.setdefault(name, value)
    return found


def check_method_args(cls: type[Method], method: str, given: dict[str, Any]) -> dict[str, Any]:
    """``given`` checked against the hyperparameters of ``cls`` (one sentence for an unknown name or a value of
    another type); returns it with lists turned into tuples where the default is a tuple."""
    accepted = method_hyperparameters(cls)
    if given and not accepted:
        raise ConfigError(
            f"Method '{method}' has no hyperparameters of its own for 'method_args'; set its losses' arguments as 'losses.<loss>.<argument>' instead."
        )
    check_values(f"hyperparameter of method '{method}'", "method_args", accepted, given)
    return {name: tuple(value) if isinstance(accepted[name], tuple) else value for name, value in given.items()}
