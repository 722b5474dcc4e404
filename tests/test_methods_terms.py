"""A run's loss terms and search space: the config's ``losses`` block overrides or adds terms, weight 0 drops one."""

import pytest

from da_bench.config import ConfigError, from_dict
from da_bench.methods import loss_terms, search_space
from da_bench.registry import UnknownNameError


def test_config_losses_override_and_add_terms():
    terms = {t.loss: t for t in loss_terms(from_dict({"method": "dann", "losses": {"dann": {"weight": 0.5, "width": 100}, "entropy": {"weight": 0.1}}}))}
    assert terms["dann"].weight == 0.5 and terms["dann"].params == {"width": 100} and terms["entropy"].weight == 0.1
    assert terms["entropy"].schedule == "constant"


def test_spec_defaults_stay_and_weight_zero_drops_a_term():
    (confusion,) = loss_terms(from_dict({"method": "confusion"}))
    assert confusion.weight == 0.1  # the spec's weight (Tzeng et al. 2015)
    assert loss_terms(from_dict({"method": "dann", "losses": {"dann": {"weight": 0}}})) == []


def test_bad_hyperparameter_schedule_or_type_is_one_sentence():
    with pytest.raises(UnknownNameError, match="Did you mean 'width'"):
        loss_terms(from_dict({"method": "dann", "losses": {"dann": {"widht": 3}}}))
    with pytest.raises(UnknownNameError, match="weight schedule 'rampp'"):
        loss_terms(from_dict({"method": "dann", "losses": {"dann": {"schedule": "rampp"}}}))
    with pytest.raises(ConfigError, match="losses.dann.width"):
        loss_terms(from_dict({"method": "dann", "losses": {"dann": {"width": "wide"}}}))


def test_search_space_keeps_a_losss_own_weight_range():
    from da_bench.losses import AdaptationLoss, register_loss
    from da_bench.registry import LOSSES

    @register_loss("weighted_probe")
    class WeightedProbe(AdaptationLoss):
        search_space = {"weight": [0.5, 5.0]}

    try:
        space = search_space(from_dict({"method": "weighted_probe"}))
        assert space == {"lr": ("log", 1e-3, 1e-1), "losses.weighted_probe.weight": [0.5, 5.0]}
        # a loss that declares no weight range gets the default one, next to its own keys
        dann = search_space(from_dict({"method": "dann"}))
        assert dann["losses.dann.weight"] == ("log", 0.03, 3.0) and dann["losses.dann.width"] == [100, 256, 1024]
    finally:
        LOSSES._items.pop("weighted_probe")
