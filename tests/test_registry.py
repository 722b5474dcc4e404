import pytest

from da_bench.registry import Registry, UnknownNameError, load_plugin_file


def test_register_and_get():
    reg: Registry[int] = Registry("widget")

    @reg.register("double")
    def double(x: int) -> int:
        return 2 * x

    assert reg.get("double")(3) == 6
    assert "double" in reg and reg.names() == ["double"]


def test_unknown_name_lists_choices_closest_first():
    reg: Registry[int] = Registry("widget")
    for name in ("alpha", "beta", "gamma"):
        reg.register(name, 1)
    with pytest.raises(UnknownNameError) as err:
        reg.get("gama")
    message = str(err.value)
    assert "Did you mean 'gamma'?" in message and "alpha, beta, gamma" in message


def test_duplicate_registration_refused():
    reg: Registry[int] = Registry("widget")
    reg.register("a", 1)
    with pytest.raises(ValueError, match="already registered"):
        reg.register("a", 2)


def test_plugin_file_registers(tmp_path):
    from da_bench.registry import LOSSES

    plugin = tmp_path / "my_plugin.py"
    plugin.write_text("from da_bench import register_loss, AdaptationLoss\n@register_loss('plugin_probe_loss')\nclass P(AdaptationLoss):\n    def forward(self, out):\n        return out.source_features.sum() * 0\n")
    load_plugin_file(plugin)
    assert "plugin_probe_loss" in LOSSES


def test_missing_plugin_file_message(tmp_path):
    with pytest.raises(FileNotFoundError, match="--plugin"):
        load_plugin_file(tmp_path / "nope.py")


def test_entry_points_are_discovered(monkeypatch):
    import da_bench.registry as registry

    class FakeEntryPoint:
        name = "from_entry_point"

        def load(self):
            return 42

    monkeypatch.setattr(registry, "entry_points", lambda group: [FakeEntryPoint()] if group == "da_bench.gadgets" else [])
    reg: Registry[int] = Registry("gadget")
    assert reg.get("from_entry_point") == 42
