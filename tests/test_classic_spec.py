"""A classic run's config checked before anything runs: names, arguments, needs of the method, keys that would do nothing."""

from __future__ import annotations

import pytest

from da_bench.classic.spec import build_estimator, check_classic, classic_names, is_classic, refuse_classic_keys
from da_bench.config import ConfigError, from_dict
from da_bench.registry import UnknownNameError

TOY = {"source": "moons", "target": "moons_rot35"}


def cfg(**kw):
    return from_dict({**TOY, **kw})


def test_classic_methods_share_the_method_registry():
    assert {"no_adapt", "pca", "tca", "jda", "gfk", "sa", "coral_classic", "kmm", "kliep", "tradaboost"} <= set(classic_names())
    assert is_classic("jda") and not is_classic("dann") and not is_classic("coral")


def test_arguments_reach_the_estimator_with_the_seed():
    est = build_estimator(cfg(method="kliep", classifier="svm", classifier_args={"C": 0.5}, method_args={"centers": 20}, seed=7))
    assert (est.centers, est.seed, est.classifier.C, est.classifier.random_state) == (20, 7, 0.5, 7)


@pytest.mark.parametrize(
    "overrides,error,fragment",
    [
        ({"method": "jda", "classifier": "1n"}, UnknownNameError, "Did you mean '1nn'"),
        ({"method": "jda", "method_args": {"dimm": 5}}, UnknownNameError, "'dimm'"),
        ({"method": "jda", "method_args": {"dim": "big"}}, ConfigError, "'method_args.dim'"),
        ({"method": "jda", "method_args": {"classifier": "svm"}}, ConfigError, "'method_args.classifier' is set by the config key 'classifier'"),
        ({"method": "jda", "preprocess": ["l3"]}, ConfigError, "'preprocess'"),
        ({"method": "tradaboost"}, ConfigError, "set k_shot"),
        ({"method": "kmm", "classifier": "1nn"}, ConfigError, "set classifier=svm or classifier=logreg"),
        ({"method": "tradaboost", "k_shot": 3, "classifier": "1nn"}, ConfigError, "set classifier=svm or classifier=logreg"),
        ({"method": "jda", "lr": 0.5}, ConfigError, "Config key 'lr' has no effect on classic method 'jda'"),
        ({"method": "jda", "mode": "dg"}, ConfigError, "mode 'uda' only"),
    ],
)
def test_bad_classic_configs_fail_in_one_sentence(overrides, error, fragment):
    with pytest.raises(error) as info:
        check_classic(cfg(**overrides))
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_network_methods_refuse_classic_keys():
    with pytest.raises(ConfigError, match="'classifier' applies to classic methods only"):
        refuse_classic_keys(cfg(method="dann", classifier="svm"))
    with pytest.raises(ConfigError, match="'source_per_class' applies to classic methods only"):
        refuse_classic_keys(cfg(method="dann", source_per_class=20))
    refuse_classic_keys(cfg(method="dann"))
