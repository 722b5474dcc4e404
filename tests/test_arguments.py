"""Arguments to registered parts, checked against their signatures (da_bench/arguments.py)."""

import pytest

from da_bench.arguments import accepted_arguments, check_arguments
from da_bench.config import ConfigError, from_dict
from da_bench.losses.cdan import CDANLoss
from da_bench.methods import backbone_arguments, loss_terms
from da_bench.registry import UnknownNameError


def test_subclass_forwarding_kwargs_accepts_its_bases_arguments():
    accepted = accepted_arguments(CDANLoss)
    assert accepted["randomized_dim"] == 1024 and accepted["width"] == 1024  # own, and DANN's through **dann_hparams
    assert "feature_dim" not in accepted and "num_classes" not in accepted


def plain(a: int = 1, b: float = 0.5, c: str = "x", d: bool = True, e: tuple = (1,), f=None):
    return None


@pytest.mark.parametrize("given", [{"a": 2}, {"b": 1}, {"b": 0.1}, {"c": "y"}, {"d": False}, {"e": [1, 2]}, {"f": "anything"}])
def test_values_of_the_defaults_kind_pass(given):
    check_arguments("argument", "k", plain, given)


@pytest.mark.parametrize(
    "given,fragment",
    [
        ({"a": "wide"}, "'k.a' must be of type int"),
        ({"a": 1.5}, "'k.a' must be of type int"),
        ({"a": True}, "'k.a' must be of type int"),
        ({"b": "x"}, "'k.b' must be of type float"),
        ({"d": 1}, "'k.d' must be of type bool"),
        ({"e": 3}, "'k.e' must be of type tuple"),
    ],
)
def test_values_of_another_kind_are_one_sentence(given, fragment):
    with pytest.raises(ConfigError, match=fragment):
        check_arguments("argument", "k", plain, given)


def test_loss_hyperparameter_type_and_name():
    with pytest.raises(ConfigError, match="'losses.dann.width' must be of type int"):
        loss_terms(from_dict({"method": "dann", "losses": {"dann": {"width": "wide"}}}))
    with pytest.raises(UnknownNameError, match="Did you mean 'width'"):
        loss_terms(from_dict({"method": "dann", "losses": {"dann": {"widht": 3}}}))
    with pytest.raises(ConfigError, match="'losses.dann.weight' must be of type float"):
        loss_terms(from_dict({"method": "dann", "losses": {"dann": {"weight": "high"}}}))


def test_backbone_arguments_are_checked_not_swallowed():
    with pytest.raises(UnknownNameError, match="argument of backbone 'dann_digits' 'foo'"):
        backbone_arguments(from_dict({"backbone_args": {"foo": 1}}))
    with pytest.raises(UnknownNameError, match="Did you mean 'hidden'"):
        backbone_arguments(from_dict({"backbone": "mlp", "backbone_args": {"hiden": [3]}}))
    with pytest.raises(UnknownNameError, match="'pretrained'"):  # a network without weights to load refuses them
        backbone_arguments(from_dict({"pretrained": "imagenet"}))
    assert backbone_arguments(from_dict({"backbone": "resnet18", "pretrained": "w.pth"})) == {"pretrained": "w.pth"}
