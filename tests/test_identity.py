"""Plugin code in a run's identity: file hashes of the plugins a run uses, and stale runs set aside."""

import hashlib
import json

from da_bench.config import from_dict
from da_bench.registry import LOSSES, load_plugin_file
from da_bench.runner.identity import claim, names_in, run_plugins

PLUGIN = "from da_bench import AdaptationLoss, register_loss\n\n\n@register_loss('identity_probe')\nclass P(AdaptationLoss):\n    pass\n"


def test_names_in_a_config_value():
    assert names_in({"a": ["b", {"c": 1}], "d": "e", "f": 2.0}) == {"a", "b", "c", "d", "e", "f"}


def test_a_run_counts_the_plugin_files_whose_parts_it_uses(tmp_path):
    plugin = tmp_path / "probe_plugin.py"
    plugin.write_bytes(PLUGIN.encode())
    load_plugin_file(plugin)
    try:
        sha = hashlib.sha256(PLUGIN.encode()).hexdigest()[:12]
        assert run_plugins(from_dict({"method": "identity_probe"})) == {"probe_plugin.py": sha}
        assert run_plugins(from_dict({"method": "dann", "losses": {"identity_probe": {"weight": 0.5}}})) == {"probe_plugin.py": sha}
        assert run_plugins(from_dict({"method": "dann"})) == {}  # loaded but unused: not part of the run
    finally:
        LOSSES._items.pop("identity_probe")


def test_a_run_of_other_plugin_versions_is_set_aside(tmp_path, capsys):
    folder = tmp_path / "abc"
    (folder / "checkpoints").mkdir(parents=True)
    (folder / "checkpoints" / "last.ckpt").write_text("old")
    (folder / "record.json").write_text("{}")
    (folder / "lock").write_text("")
    (folder / "plugins.json").write_text(json.dumps({"m.py": "aaaa"}))
    claim(folder, {"m.py": "bbbb"})
    message = capsys.readouterr().err
    assert "run abc" in message and "m.py aaaa" in message and "m.py bbbb" in message and message.count("\n") == 1
    assert sorted(p.name for p in folder.iterdir()) == ["lock", "plugins.json", "stale"]
    assert sorted(p.name for p in (folder / "stale").iterdir()) == ["checkpoints", "plugins.json", "record.stale.json"]
    assert json.loads((folder / "plugins.json").read_text()) == {"m.py": "bbbb"}
    claim(folder, {"m.py": "bbbb"})  # the same versions: nothing moves, nothing printed
    assert capsys.readouterr().err == "" and (folder / "stale" / "checkpoints" / "last.ckpt").exists()


def test_a_fresh_folder_without_plugins_stays_untouched(tmp_path, capsys):
    claim(tmp_path, {})
    assert list(tmp_path.iterdir()) == [] and capsys.readouterr().err == ""
