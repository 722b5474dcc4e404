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
    plugin.write_text(
        "from da_bench import register_loss, AdaptationLoss\n@register_loss('plugin_probe_loss')\n"
        "class P(AdaptationLoss):\n    def forward(self, out):\n        return out.source_features.sum() * 0\n"
    )
    load_plugin_file(plugin)
    assert "plugin_probe_loss" in LOSSES


def test_missing_plugin_file_message(tmp_path):
    with pytest.raises(FileNotFoundError, match="--plugin"):
        load_plugin_file(tmp_path / "nope.py")


README_GROUPS = {
    "loss": "da_bench.losses",
    "method": "da_bench.methods",
    "backbone": "da_bench.backbones",
    "domain": "da_bench.domains",
    "validator": "da_bench.validators",
    "launcher": "da_bench.launchers",
}


@pytest.fixture
def installed_probe(tmp_path, monkeypatch):
    """A real installed distribution (a .dist-info on sys.path) declaring one entry point per README group."""
    (tmp_path / "ep_probe.py").write_text("VALUE = 'from an installed package'\n")
    info = tmp_path / "ep_probe-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ep-probe\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("".join(f"[{group}]\nep_probe_{kind} = ep_probe:VALUE\n\n" for kind, group in README_GROUPS.items()))
    monkeypatch.syspath_prepend(str(tmp_path))


@pytest.mark.parametrize("kind", sorted(README_GROUPS))
def test_each_registry_finds_a_real_entry_point_in_the_readme_group(kind, installed_probe):
    import da_bench.registry as registry

    live = {r.kind: r for r in (registry.LOSSES, registry.METHODS, registry.BACKBONES, registry.DOMAINS, registry.VALIDATORS, registry.LAUNCHERS)}[kind]
    fresh = Registry(kind, live.entry_point_group)  # the global registries may have scanned entry points already
    assert fresh.get(f"ep_probe_{kind}") == "from an installed package"


@pytest.mark.parametrize(
    "body,where",
    [
        ("def broken(:\n    pass\n", "line 1: SyntaxError"),
        ("x = 1\nimport not_a_module_anywhere\n", "line 2: ModuleNotFoundError"),
        ("raise RuntimeError('boom')\n", "line 1: RuntimeError: boom"),
    ],
)
def test_broken_plugin_file_is_one_sentence_naming_file_and_line(tmp_path, body, where):
    from da_bench.registry import PluginError

    plugin = tmp_path / "bad_plugin.py"
    plugin.write_text(body)
    with pytest.raises(PluginError) as err:
        load_plugin_file(plugin)
    message = str(err.value)
    assert str(plugin) in message and where in message and "\n" not in message
