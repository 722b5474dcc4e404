import pytest

from da_bench.config import ConfigError
from da_bench.runner.sweep import expand, load_sweep, parse_pair, select


def test_grid_expansion_counts_and_pairs():
    sweep = expand(
        {"methods": ["source_only", "dann"], "pairs": ["mnist5k->mnistm_like", ["moons", "moons_rot35"]], "seeds": [0, 1], "grid": {"lr": [0.01, 0.1]}}
    )
    assert len(sweep.configs) == 2 * 2 * 2 * 2
    assert {(c.source, c.target) for c in sweep.configs} == {("mnist5k", "mnistm_like"), ("moons", "moons_rot35")}


def test_random_search_draws_are_seeded_and_in_space():
    data = {"methods": ["dann"], "random_search": {"trials": 3, "seed": 7}}
    a, b = expand(data), expand(data)
    assert [c.lr for c in a.configs] == [c.lr for c in b.configs]
    assert all(1e-3 <= c.lr <= 1e-1 for c in a.configs)
    assert all(c.losses["dann"]["grl_max"] in (0.1, 0.3, 1.0) for c in a.configs)
    assert len({c.lr for c in a.configs}) == 3


def test_method_overrides_and_bad_keys():
    sweep = expand({"methods": ["dann"], "method_overrides": {"dann": {"losses": {"dann": {"width": 100}}}}})
    assert sweep.configs[0].losses == {"dann": {"width": 100}}


def test_child_with_other_methods_drops_the_parents_overrides_of_them(tmp_path):
    (tmp_path / "parent.yaml").write_text("methods: [dann, cdan]\nmethod_overrides: {dann: {lr: 0.5}, cdan: {lr: 0.25}}\n")
    (tmp_path / "child.yaml").write_text("extends: parent.yaml\nmethods: [cdan, coral]\nmethod_overrides: {coral: {lr: 0.125}}\n")
    assert [(c.method, c.lr) for c in load_sweep(tmp_path / "child.yaml").configs] == [("cdan", 0.25), ("coral", 0.125)]
    (tmp_path / "typo.yaml").write_text("extends: parent.yaml\nmethods: [cdan]\nmethod_overrides: {cdann: {lr: 0.5}}\n")
    with pytest.raises(ConfigError, match="'cdann'"):  # the child's own overrides are still checked
        load_sweep(tmp_path / "typo.yaml")
    with pytest.raises(ConfigError, match="Did you mean 'methods'"):
        expand({"method": ["dann"]})
    with pytest.raises(ConfigError, match="source->target"):
        parse_pair("mnist_usps")


def test_multi_source_pair_syntax():
    assert parse_pair("mnist+usps->mnist_m") == (["mnist", "usps"], "mnist_m")


def test_extends_merges_the_parent_sweep_under_the_child(tmp_path):
    (tmp_path / "parent.yaml").write_text(
        "name: parent\nbase: {steps: 100, lr: 0.05}\nmethods: [source_only, dann]\npairs: ['moons->moons_rot35']\nseeds: [0, 1]\n"
        "method_overrides: {dann: {losses: {dann: {width: 100}}}}\n"
    )
    (tmp_path / "child.yaml").write_text("extends: parent.yaml\nname: child\nbase: {steps: 500}\nmethods: [dann]\n")
    sweep = load_sweep(tmp_path / "child.yaml")
    assert sweep.name == "child"
    assert [(c.method, c.seed, c.steps, c.lr) for c in sweep.configs] == [("dann", 0, 500, 0.05), ("dann", 1, 500, 0.05)]
    assert sweep.configs[0].losses == {"dann": {"width": 100}}


def test_extends_cycle_is_one_clear_error(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    with pytest.raises(ConfigError, match="extends itself"):
        load_sweep(tmp_path / "a.yaml")


@pytest.mark.parametrize("name", ["../runs/0123456789ab/record", "/abs/path", ".hidden", "a/b", "a b", 7])
def test_a_sweep_name_that_is_not_a_plain_name_is_refused(name, tmp_path):
    (tmp_path / "s.yaml").write_text(f"name: {name!r}\nmethods: [dann]\n" if isinstance(name, str) else f"name: {name}\n")
    with pytest.raises(ConfigError, match="not a plain name"):
        load_sweep(tmp_path / "s.yaml")


def test_plain_names_are_kept():
    assert expand({"name": "digits_long-v1.2"}).name == "digits_long-v1.2"


def test_select_keeps_the_matching_runs_in_sweep_order():
    configs = expand({"methods": ["source_only", "dann", "cdan"], "seeds": [0, 1, 2]}).configs
    first_seed = select(configs, ["seed=0"])
    assert [(c.method, c.seed) for c in first_seed] == [("source_only", 0), ("dann", 0), ("cdan", 0)]
    both = select(configs, ["method=dann,cdan", "seed=1,2"])
    assert [(c.method, c.seed) for c in both] == [("dann", 1), ("dann", 2), ("cdan", 1), ("cdan", 2)]


@pytest.mark.parametrize(
    "where, fragment", [(["seed"], "must read key=value"), (["colour=red"], "not a config key"), (["seed=7"], "matches none of the sweep's 3 runs")]
)
def test_select_refuses_bad_conditions_in_one_sentence(where, fragment):
    configs = expand({"methods": ["dann"], "seeds": [0, 1, 2]}).configs
    with pytest.raises(ConfigError, match=fragment):
        select(configs, where)


CELLS = {
    "methods": ["source_only", "dann"],
    "pairs": ["moons->moons_rot35", "mnist5k->mnistm_like"],
    "method_overrides": {"dann": {"lr": 0.5, "losses": {"dann": {"width": 100}}}},
    "cell_overrides": [
        {"methods": ["dann"], "pairs": ["moons->moons_rot35"], "set": {"losses.dann.width": 10}},
        {"pairs": ["mnist5k->mnistm_like"], "set": {"steps": 500}},
    ],
    "grid": {"seed": [0, 1]},
}


def test_cell_overrides_set_values_of_some_methods_on_some_pairs():
    runs = {(c.method, c.source, c.seed): c for c in expand(CELLS).configs}
    assert runs["dann", "moons", 0].losses == {"dann": {"width": 10}} and runs["dann", "moons", 0].lr == 0.5  # over method_overrides
    assert runs["dann", "mnist5k", 1].losses == {"dann": {"width": 100}} and runs["dann", "mnist5k", 1].steps == 500
    assert runs["source_only", "mnist5k", 0].steps == 500 and runs["source_only", "moons", 0].steps == 1000
    assert len(runs) == 8


@pytest.mark.parametrize(
    "entry,message",
    [
        ({"methods": ["dan"], "set": {"lr": 1}}, "names method 'dan', which is not in 'methods'"),
        ({"pairs": ["moons->mnistm_like"], "set": {"lr": 1}}, "names pair moons->mnistm_like, which is not in 'pairs'"),
        ({"methods": ["dann"], "sett": {"lr": 1}}, "must be a mapping with a 'set' mapping"),
        ({"method": ["dann"], "set": {"lr": 1}}, "Did you mean 'methods'"),
    ],
)
def test_cell_overrides_naming_what_the_sweep_lacks_are_refused(entry, message):
    with pytest.raises(ConfigError, match=message):
        expand({**CELLS, "cell_overrides": [entry]})


def test_child_sweep_keeps_the_parents_cell_overrides_of_its_own_methods_and_pairs(tmp_path):
    (tmp_path / "parent.yaml").write_text(
        "methods: [source_only, dann]\npairs: ['moons->moons_rot35', 'mnist5k->mnistm_like']\n"
        "cell_overrides: [{methods: [dann], pairs: ['moons->moons_rot35'], set: {lr: 0.5}}, {methods: [source_only], set: {lr: 0.25}}]\n"
    )
    (tmp_path / "child.yaml").write_text("extends: parent.yaml\nmethods: [dann]\npairs: ['moons->moons_rot35']\n")
    assert [(c.method, c.lr) for c in load_sweep(tmp_path / "child.yaml").configs] == [("dann", 0.5)]
    (tmp_path / "other.yaml").write_text("extends: parent.yaml\npairs: ['mnist5k->mnistm_like']\n")
    assert [(c.method, c.lr) for c in load_sweep(tmp_path / "other.yaml").configs] == [("source_only", 0.25), ("dann", 0.01)]
