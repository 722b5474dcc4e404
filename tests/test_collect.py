import pytest
from helpers import fake_manifest, fake_record, lr_trial

from da_bench.report.collect import collect, domain_label, method_label, pair_label


def test_labels():
    assert pair_label("mnist", "mnist_m") == "MNIST->MNIST-M"
    assert pair_label(["mnist", "usps"], None) == "MNIST+USPS->-"
    assert domain_label("my_plugin_domain") == "my_plugin_domain"
    assert method_label("cdan_e") == "CDAN+E" and method_label("my_loss") == "my_loss"


def test_cells_hold_one_value_per_done_seed_and_count_failures_and_expected_runs(tmp_path):
    history = [{"step": 1, "source_val_acc": 0.9, "target_test_acc": 0.4}, {"step": 2, "source_val_acc": 0.8, "target_test_acc": 0.7}]
    fake_record(tmp_path, "a", "dann", "mnist", "usps", 0, None, history=history)
    fake_record(tmp_path, "b", "dann", "mnist", "usps", 1, 0.5)
    fake_record(tmp_path, "c", "dann", "mnist", "usps", 2, None, status="failed")
    fake_manifest(tmp_path, "s", [(r, "dann", "mnist", "usps", s) for s, r in enumerate("abcd")])
    cell = collect(tmp_path, "source-val").cells[("dann", "MNIST->USPS")]
    assert sorted(cell.values) == [40.0, 50.0] and cell.failed == 1 and cell.expected == 4
    assert sorted(collect(tmp_path, "last").cells[("dann", "MNIST->USPS")].values) == [50.0, 70.0]


def test_planned_but_never_run_pairs_still_appear(tmp_path):
    fake_manifest(tmp_path, "s", [("x", "coral", "usps", "mnist", 0)])
    collected = collect(tmp_path, "last")
    assert collected.methods == ["coral"] and collected.pairs == ["USPS->MNIST"]
    assert collected.cells[("coral", "USPS->MNIST")].values == []


def test_expected_counts_seeds_per_setting_not_runs(tmp_path):
    # a manifest of 2 learning rates x 3 seeds expects 3 seeds per setting; the chosen setting has 2 done, 1 failed
    manifest = [(f"{lr}-{seed}", "dann", "mnist", "usps", seed) for lr in (0.01, 0.03) for seed in range(3)]
    fake_manifest(tmp_path, "grid", manifest)
    for lr, source_val in ((0.01, 0.9), (0.03, 0.5)):
        for seed in range(2):
            lr_trial(tmp_path, lr, seed, [(source_val, 0.6 + seed / 10)])
    fake_record(tmp_path, "0.01-2", "dann", "mnist", "usps", 2, None, status="failed", config={"lr": 0.01})
    cell = collect(tmp_path, "source-val").cells[("dann", "MNIST->USPS")]
    assert cell.expected == 3 and sorted(cell.values) == [60.0, 70.0] and cell.failed == 1 and cell.failed_elsewhere == 0
    assert cell.chosen == "lr=0.01" and cell.settings == 2


def test_a_setting_with_only_failed_runs_is_never_chosen(tmp_path):
    fake_record(tmp_path, "good", "dann", "mnist", "usps", 0, 0.4, config={"lr": 0.01})
    fake_record(tmp_path, "nan", "dann", "mnist", "usps", 0, None, status="failed", config={"lr": 1.0})
    cell = collect(tmp_path, "source-val").cells[("dann", "MNIST->USPS")]
    assert cell.values == [40.0] and cell.chosen == "lr=0.01" and cell.failed == 0 and cell.failed_elsewhere == 1


def test_multitask_runs_have_no_target_accuracy_and_are_left_out_with_a_note(tmp_path, capsys):
    multitask = [{"step": 1, "source_val_acc": 0.9, "source_val_parity_acc": 0.95}]
    fake_record(tmp_path, "m", "source_only", "mnist", None, 0, None, history=multitask)
    fake_manifest(tmp_path, "s", [("m", "source_only", "mnist", None, 0)])
    with pytest.raises(ValueError, match="no target domain .mode 'multitask'"):
        collect(tmp_path, "source-val")
    fake_record(tmp_path, "d", "dann", "mnist", "usps", 0, 0.6)
    collected = collect(tmp_path, "source-val")
    assert collected.pairs == ["MNIST->USPS"] and collected.cells[("dann", "MNIST->USPS")].values == [60.0]
    assert "left out 1 run(s)" in capsys.readouterr().err


def test_where_keeps_the_matching_runs_and_their_expected_seeds(tmp_path):
    for seed, (run_xavier, run_default) in enumerate([("x0", "d0"), ("x1", "d1")]):
        fake_record(tmp_path, run_xavier, "source_only", "mnist", "usps", seed, 0.3 + seed / 10, config={"weight_init": "xavier"})
        fake_record(tmp_path, run_default, "source_only", "mnist", "usps", seed, 0.6, config={"weight_init": "default"})
    runs = [(r, "source_only", "mnist", "usps", s) for s, pair in enumerate([("x0", "d0"), ("x1", "d1")]) for r in pair]
    fake_manifest(tmp_path, "s", runs + [("x2", "source_only", "mnist", "usps", 2)])  # seed 2 planned, not run yet
    cell = collect(tmp_path, "last", ["weight_init=xavier"]).cells[("source_only", "MNIST->USPS")]
    assert sorted(cell.values) == [30.0, 40.0] and cell.expected == 3  # not the default-init runs' 60s
    only_seed_1 = collect(tmp_path, "last", ["weight_init=xavier", "seed=1"]).cells[("source_only", "MNIST->USPS")]
    assert only_seed_1.values == [40.0] and only_seed_1.expected == 1
    with pytest.raises(ValueError, match="matches none of the run records"):
        collect(tmp_path, "last", ["weight_init=kaiming"])


def test_where_reads_a_key_a_record_predates_as_its_default(tmp_path):
    fake_record(tmp_path, "old", "dann", "mnist", "usps", 0, 0.7)  # made before weight_init existed: the default
    fake_record(tmp_path, "new", "dann", "mnist", "usps", 1, 0.4, config={"weight_init": "xavier"})
    assert collect(tmp_path, "last", ["weight_init=default"]).cells[("dann", "MNIST->USPS")].values == [70.0]
    assert collect(tmp_path, "last", ["weight_init=xavier"]).cells[("dann", "MNIST->USPS")].values == [40.0]


def test_where_does_not_expect_a_seed_that_only_other_settings_ran(tmp_path):
    """A recorded run that fails the condition is judged by its config, not by its manifest entry (which holds no
    hyperparameters): seed 1 ran only with the default initialisation, so the xavier cell expects one seed."""
    fake_record(tmp_path, "x0", "dann", "mnist", "usps", 0, 0.4, config={"weight_init": "xavier"})
    fake_record(tmp_path, "d0", "dann", "mnist", "usps", 0, 0.6)
    fake_record(tmp_path, "d1", "dann", "mnist", "usps", 1, 0.6)
    fake_manifest(tmp_path, "s", [(r, "dann", "mnist", "usps", s) for r, s in (("x0", 0), ("d0", 0), ("d1", 1))])
    cell = collect(tmp_path, "last", ["weight_init=xavier"]).cells[("dann", "MNIST->USPS")]
    assert cell.values == [40.0] and cell.expected == 1
