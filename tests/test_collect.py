from da_bench.report.collect import collect, domain_label, method_label, pair_label
from helpers import fake_manifest, fake_record


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
