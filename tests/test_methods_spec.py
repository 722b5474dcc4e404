"""Method specs: every built-in resolves, a loss name is a method, bad names get the closest choice, and a method
class registers (decorator or entry-point object) as a spec of its own class attributes."""

import pytest

from da_bench.methods import CustomStepMethod, LossTerm, MethodSpec, register_method, resolve_method
from da_bench.methods.spec import as_spec
from da_bench.registry import METHODS, UnknownNameError


def test_every_method_spec_resolves_with_a_description():
    for name in METHODS.names():
        assert resolve_method(name).description


def test_a_loss_name_is_a_single_loss_method():
    spec = resolve_method("mmd")
    assert spec.losses == (LossTerm("mmd"),) and spec.module is None and "MMD" in spec.description


def test_unknown_method_lists_choices():
    with pytest.raises(UnknownNameError, match="Did you mean 'dann'"):
        resolve_method("dnn")


class Probe(CustomStepMethod):
    """Probe method: first docstring line.

    More text that is not the description."""

    losses = (LossTerm("entropy", weight=0.3),)
    search_space = {"lr": [0.1]}


def test_method_class_registers_as_its_own_spec():
    register_method("probe_class")(Probe)
    try:
        spec = resolve_method("probe_class")
        assert spec == MethodSpec("probe_class", "Probe method: first docstring line.", (LossTerm("entropy", 0.3),), {"lr": [0.1]}, module=Probe)
        assert METHODS.get("probe_class") is Probe  # the class itself, as an entry point would load it
    finally:
        METHODS._items.pop("probe_class")


def test_spec_registration_and_an_explicit_description():
    class Described(CustomStepMethod):
        """Not this."""

        description = "This one."

    assert as_spec("d", Described).description == "This one."
    spec = register_method(MethodSpec("probe_spec", "A spec.", (LossTerm("coral"),)))
    try:
        assert resolve_method("probe_spec") is spec
        with pytest.raises(ValueError, match="already registered"):
            register_method(MethodSpec("probe_spec", "Another."))
    finally:
        METHODS._items.pop("probe_spec")


def test_methods_lists_each_setting_and_what_it_needs(capsys):
    from da_bench.cli import main

    assert main(["methods"]) == 0
    rows = {line.split()[1]: line for line in capsys.readouterr().out.splitlines() if line.startswith("method ")}
    expected = {
        "dann": ("uda", "source labels + target batches"),
        "source_only": ("uda", "source labels alone"),
        "tca": ("uda", "source labels + unlabeled target features"),
        "shot": ("source-free", "a source stage, then target batches alone"),
        "tent": ("test-time", "source training + the target test stream"),
        "bn_adapt": ("test-time", "source training + the target test stream"),
    }
    for name, (setting, needs) in expected.items():
        assert rows[name].split()[2] == setting and f" {needs} " in rows[name], rows[name]


def test_a_method_class_declares_its_setting_and_a_bad_one_is_refused():
    class SourceFree(CustomStepMethod):
        """A source-free probe."""

        setting = "source-free"

    assert as_spec("sf", SourceFree).setting == "source-free" and as_spec("p", Probe).setting == "uda"
    with pytest.raises(ValueError, match="declares setting 'offline'; use one of uda, source-free, test-time"):
        MethodSpec("bad", "Bad.", setting="offline")
