import pytest

from da_bench.config import ConfigError, RunConfig, from_dict, load_yaml, parse_overrides, run_id


def test_overrides_parse_types_and_nesting():
    out = parse_overrides(["lr=0.1", "seeds=[1,2]", "losses.dann.width=100", "target=null"])
    assert out == {"lr": 0.1, "seeds": [1, 2], "losses": {"dann": {"width": 100}}, "target": None}


@pytest.mark.parametrize(
    "data,fragment",
    [
        ({"lrr": 0.1}, "Did you mean 'lr'"),
        ({"lr": "fast"}, "'lr' must be of type"),
        ({"lr": -0.1}, "'lr' must be positive"),
        ({"precision": "bf16"}, "Did you mean 'bf16-mixed'"),
        ({"val_fraction": 1.5}, "strictly between 0 and 1"),
        ({"steps": 100, "eval_every": 30}, "multiple of 'eval_every'"),
        ({"mode": "multitask"}, "set 'target: null'"),
        ({"seed": -1}, "'seed' must be 0 or more"),
        ({"momentum": -1}, "'momentum' must lie in"),
        ({"momentum": 1.0}, "'momentum' must lie in"),
        ({"weight_decay": -1}, "'weight_decay' must be 0 or more"),
        ({"threads": 0}, "'threads' must be positive"),
        ({"head_hidden": [100, 0]}, "'head_hidden' must be a list of positive"),
        ({"losses": {"dann": 5}}, "'losses.dann' must be a mapping"),
        ({"tasks": {"parity": "yes"}}, "'tasks.parity' must be a mapping"),
        ({"loggers": ["csvv"]}, "Did you mean 'csv'"),
        ({"weight_init": "glorot"}, "Valid .*xavier"),
        ({"weight_init": "xavier", "init_checkpoint": "a.ckpt"}, "set only one of them"),
        ({"devices": 2}, "set 'strategy: ddp' or 'devices: 1'"),
        ({"devices": 0}, "'devices' must be positive"),
        ({"strategy": "dp"}, "Did you mean 'ddp'"),
        ({"devices": 3, "strategy": "ddp", "batch_size": 64}, "'batch_size' \\(64\\) must be a multiple of 'devices' \\(3\\)"),
    ],
)
def test_bad_values_give_one_clear_sentence(data, fragment):
    with pytest.raises(ConfigError, match=fragment):
        from_dict(data)


def test_run_id_ignores_non_identity_keys_only():
    a = from_dict({"data_root": "/x", "threads": 2})
    b = from_dict({"data_root": "/y", "threads": 1, "devices": 2, "strategy": "ddp"})  # batch_size is global under DDP
    assert run_id(a) == run_id(b)
    assert run_id(a) != run_id(from_dict({"seed": 1}))


def test_yaml_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("lr: [unclosed\n")
    with pytest.raises(ConfigError, match="bad.yaml"):
        load_yaml(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_yaml(tmp_path / "missing.yaml")


def test_integer_precision_is_accepted():
    assert from_dict({"precision": 32}).precision == "32"
    assert isinstance(RunConfig().head_hidden, list)


def test_run_id_depends_only_on_non_default_values():
    assert run_id(from_dict({})) == run_id(RunConfig())
    assert run_id(from_dict({"lr": 0.01})) == run_id(from_dict({}))  # 0.01 is the default
