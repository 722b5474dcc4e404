"""The class that trains a run: a registered method class, else the class its losses call for."""

from da_bench.config import from_dict
from da_bench.methods import AlternatingMethod, CustomStepMethod, Method, MethodSpec, build_method, method_class, register_method
from da_bench.registry import METHODS

TOY = {"source": "moons", "target": "moons_rot35", "backbone": "mlp", "head_hidden": []}


def test_loss_methods_get_the_class_their_losses_need():
    confusion = build_method(from_dict({**TOY, "method": "confusion"}), (2,), 2)
    assert type(confusion) is AlternatingMethod and not confusion.automatic_optimization
    assert type(build_method(from_dict({**TOY, "method": "dann"}), (2,), 2)) is Method
    # a loss with its own adversary added to DANN's: the alternating updates come with it
    assert method_class(from_dict({**TOY, "method": "dann", "losses": {"confusion": {"weight": 0.1}}})) is AlternatingMethod


def test_a_registered_class_or_a_specs_module_trains_the_run():
    class Own(CustomStepMethod):
        """A method with its own step."""

    register_method("own_probe")(Own)
    register_method(MethodSpec("own_spec_probe", "A spec naming its class.", module=Own))
    try:
        model = build_method(from_dict({**TOY, "method": "own_probe"}), (2,), 2)
        assert type(model) is Own and not model.automatic_optimization
        assert method_class(from_dict({**TOY, "method": "own_spec_probe"})) is Own
    finally:
        METHODS._items.pop("own_probe")
        METHODS._items.pop("own_spec_probe")
