"""``--where key=value[,value]`` conditions on run configs: a slice of a sweep to run, or of its records to tabulate."""

from __future__ import annotations

from typing import Any

from da_bench.config import FIELDS, ConfigError, RunConfig, to_dict

Conditions = list[tuple[str, set[str]]]
DEFAULTS = to_dict(RunConfig())


def parse_where(where: list[str]) -> Conditions:
    """``["seed=0", "method=dann,cdan"]`` -> ``[("seed", {"0"}), ("method", {"dann", "cdan"})]``, keys checked."""
    conditions = []
    for condition in where:
        key, sep, values = condition.partition("=")
        if not sep or not values:
            raise ConfigError(f"--where '{condition}' must read key=value (several values: key=a,b), e.g. --where seed=0.")
        if key not in FIELDS:
            raise ConfigError(f"--where names '{key}', which is not a config key; use a top-level key such as seed, method or source.")
        conditions.append((key, set(values.split(","))))
    return conditions


def matches(values: dict[str, Any], conditions: Conditions) -> bool:
    """Whether a config (as a dict) meets every condition; a key it does not hold is not held against it."""
    return all(str(values[key]) in wanted for key, wanted in conditions if key in values)


def recorded_config(config: dict[str, Any]) -> dict[str, Any]:
    """A record's config with the keys it predates filled by their defaults: a record made before ``weight_init``
    existed trained with the default, and must match ``weight_init=default`` (and not ``weight_init=xavier``)."""
    return {**DEFAULTS, **config}
