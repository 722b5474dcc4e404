import statistics

import pytest
from helpers import fake_manifest, fake_record, lr_trial

from da_bench.report.collect import collect
from da_bench.report.render import latex_escape, render
from da_bench.report.table import build_table, load_reference, selection_comparison


@pytest.fixture
def runs(tmp_path):
    accs = {("source_only", 0): 0.50, ("source_only", 1): 0.54, ("source_only", 2): 0.52, ("dann", 0): 0.70, ("dann", 1): 0.60, ("dann", 2): 0.65}
    manifest = []
    for (method, seed), acc in accs.items():
        fake_record(tmp_path, f"{method}{seed}", method, "mnist", "mnist_m", seed, acc)
        manifest.append((f"{method}{seed}", method, "mnist", "mnist_m", seed))
    # a second pair where one dann seed failed and one is missing
    for seed in range(3):
        fake_record(tmp_path, f"so_u{seed}", "source_only", "mnist", "usps", seed, 0.8)
        manifest.append((f"so_u{seed}", "source_only", "mnist", "usps", seed))
        manifest.append((f"dann_u{seed}", "dann", "mnist", "usps", seed))
    fake_record(tmp_path, "dann_u0", "dann", "mnist", "usps", 0, 0.9)
    fake_record(tmp_path, "dann_u1", "dann", "mnist", "usps", 1, None, status="failed")
    fake_manifest(tmp_path, "digits", manifest)
    return tmp_path


def test_means_stds_counts_and_best_bold(runs):
    table = build_table(collect(runs, "last"), "last", "digits")
    dann = table.rows["dann"][0]
    assert dann.mean == pytest.approx(65.0) and dann.std == pytest.approx(statistics.stdev([70, 60, 65])) and dann.n == 3
    md = render(table, "md")
    assert "**65.0 ± 5.0 (n=3)**" in md and "52.0 ± 2.0 (n=3)" in md


def test_one_setting_per_cell_names_no_hyperparameters(runs):
    # keys that do not change results (data root, workers, threads) make no second setting
    fake_record(runs, "dann3", "dann", "mnist", "mnist_m", 3, 0.65, config={"data_root": "/elsewhere", "num_workers": 0, "threads": 1})
    table = build_table(collect(runs, "source-val"), "source-val", "digits")
    assert table.chosen == () and table.rows["dann"][0].n == 4
    assert "chosen" not in render(table, "md") and "n = seeds." in render(table, "md")
    assert render(table, "csv").splitlines()[0] == "method,pair,selection,mean,std,n,note,reference,reference_source,best"


def test_missing_and_failed_runs_are_shown_not_hidden(runs):
    table = build_table(collect(runs, "last"), "last", "digits")
    usps = table.rows["dann"][1]
    assert usps.n == 1 and "1/3 seeds" in usps.note and "1 failed" in usps.note
    assert "some pairs incomplete" in table.rows["dann"][2].note
    assert table.rows["source_only"][2].note == ""


def test_oracle_is_labelled(runs):
    md = render(build_table(collect(runs, "oracle"), "oracle", "digits"), "md")
    assert "ORACLE" in md
    assert "ORACLE" not in render(build_table(collect(runs, "source-val"), "source-val", "digits"), "md")


def test_latex_balanced_and_escaped(runs):
    tex = render(build_table(collect(runs, "last"), "last", "digits_table"), "latex")
    for env in ("table", "tabular"):
        assert tex.count(rf"\begin{{{env}}}") == tex.count(rf"\end{{{env}}}") == 1
    assert r"digits\_table" in tex and r"\textbf{" in tex
    assert tex.count("{") == tex.count("}")
    assert latex_escape("a_b & 5%") == r"a\_b \& 5\%"


def test_latex_carries_counts_and_the_footer(runs, tmp_path):
    ref = tmp_path / "ref.csv"
    ref.write_text("method,source_pair,accuracy,source_ref\nDANN,MNIST->MNIST-M,76.66,Ganin 2016 Table 2\n")
    tex = render(build_table(collect(runs, "last"), "last", "digits", load_reference(ref)), "latex")
    assert r"\textbf{65.0 $\pm$ 5.0 (n=3) / 76.7 [1] (-11.7)}" in tex and "90.0 (n=1) [1/3 seeds, 1 failed]" in tex
    assert r"n = seeds." in tex and r"Model selection: last." in tex and r"[1] Ganin 2016 Table 2" in tex
    assert "\\\\ [" not in tex  # a line after \\ starting with '[' would be read as \\'s optional argument


def test_csv_and_html(runs):
    csv_text = render(build_table(collect(runs, "last"), "last", "d"), "csv")
    assert csv_text.splitlines()[0].startswith("method,pair,selection,mean")
    html = render(build_table(collect(runs, "last"), "last", "d"), "html")
    assert html.count("<tr>") == 3 and "<b>" in html


def test_reference_numbers_beside_ours(runs, tmp_path):
    ref = tmp_path / "ref.csv"
    ref.write_text(
        "benchmark,backbone,method,source_pair,accuracy,source_ref,notes\n"
        "Digits,x,DANN,MNIST->MNIST-M,76.66,Ganin 2016 Table 2,\nDigits,x,DANN,Avg,90.0,Ganin 2016 Table 2,\n"
        "Digits,y,Source-only,MNIST->MNIST-M,50.0,other repo,unverified\nDigits,z,DANN,SVHN->MNIST,70.0,uncited paper,\n"
    )
    table = build_table(collect(runs, "last"), "last", "digits", load_reference(ref))
    md = render(table, "md")
    assert "/ 76.7 [2] (-11.7)" in md  # sources are numbered in cell order: Source-only's row comes first
    assert "[1] other repo (y); UNVERIFIED: not read in the original paper" in md and "[2] Ganin 2016 Table 2 (x)" in md and "uncited paper" not in md
    assert table.rows["dann"][-1].reference is None  # a paper's average covers other pairs
    assert "Ganin 2016 Table 2 (x)" in render(table, "latex") and "Ganin 2016 Table 2 (x)" in render(table, "csv")


def test_validator_selection_uses_history(tmp_path):
    history = [{"step": 1, "source_val_acc": 0.9, "target_test_acc": 0.3}, {"step": 2, "source_val_acc": 0.8, "target_test_acc": 0.6}]
    fake_record(tmp_path, "r", "dann", "a", "b", 0, None, history=history)
    assert build_table(collect(tmp_path, "source-val"), "source-val", "t").rows["dann"][0].mean == pytest.approx(30.0)
    assert build_table(collect(tmp_path, "oracle"), "oracle", "t").rows["dann"][0].mean == pytest.approx(60.0)


def test_selection_comparison_puts_each_rules_average_in_a_column(tmp_path):
    early, late = {"source_val_acc": 0.9, "target_test_acc": 0.3, "val_entropy": -0.1}, {"source_val_acc": 0.8, "target_test_acc": 0.6, "val_entropy": -0.5}
    for seed in range(2):
        fake_record(tmp_path, f"a{seed}", "dann", "mnist", "usps", seed, None, history=[{"step": 1, **early}, {"step": 2, **late}])
        fake_record(tmp_path, f"b{seed}", "dann", "usps", "mnist", seed, None, history=[{"step": 1, **late}, {"step": 2, **early}])
    rules = ["last", "source-val", "entropy", "oracle"]
    table = selection_comparison({r: build_table(collect(tmp_path, r), r, "t") for r in rules}, "t")
    assert table.columns == rules
    # last: 60 and 30; source-val and entropy: 30 on both pairs (they prefer the early point); oracle: 60 on both
    assert [e.mean for e in table.rows["dann"]] == pytest.approx([45.0, 30.0, 30.0, 60.0])
    assert "oracle = target test labels" in render(table, "md")


def grid_records(root):
    """2 learning rates x 2 seeds, two evaluation points each as (source_val_acc, target_test_acc); lr=0.01 has the
    higher source-val accuracy at its source-val points, lr=0.03 the higher target accuracy."""
    points = {
        (0.01, 0): [(0.90, 0.50), (0.70, 0.55)],
        (0.01, 1): [(0.80, 0.60), (0.75, 0.58)],
        (0.03, 0): [(0.60, 0.62), (0.70, 0.80)],
        (0.03, 1): [(0.65, 0.66), (0.60, 0.70)],
    }
    for (lr, seed), history in points.items():
        lr_trial(root, lr, seed, history)
    fake_manifest(root, "grid", [(f"{lr}-{seed}", "dann", "mnist", "usps", seed) for lr, seed in points])


@pytest.mark.parametrize(
    "rule, lr, accs",
    [
        # source-val: lr=0.01 scores (0.90 + 0.80) / 2 at its selected points against (0.70 + 0.65) / 2 for lr=0.03
        ("source-val", 0.01, [50, 60]),
        # oracle: lr=0.03 scores (0.80 + 0.70) / 2 against (0.55 + 0.60) / 2
        ("oracle", 0.03, [80, 70]),
        # last: settings compared by source-val at the last point, (0.70 + 0.75) / 2 against (0.70 + 0.60) / 2
        ("last", 0.01, [55, 58]),
    ],
)
def test_grid_trials_are_settings_to_choose_not_seeds(tmp_path, rule, lr, accs):
    grid_records(tmp_path)
    table = build_table(collect(tmp_path, rule), rule, "grid")
    cell = table.rows["dann"][0]
    assert cell.n == 2 and cell.mean == pytest.approx(sum(accs) / 2) and cell.std == pytest.approx(abs(accs[0] - accs[1]) / 2**0.5)
    assert cell.note == ""  # the manifest plans 2 seeds per setting, not 4 runs
    assert table.chosen == (f"DANN, MNIST->USPS: lr={lr} (best of 2 settings)",)
    md = render(table, "md")
    assert f"DANN, MNIST->USPS: lr={lr} (best of 2 settings)" in md and "n = seeds of the chosen hyperparameters" in md
    assert f"DANN, MNIST$\\to$USPS: lr={lr} (best of 2 settings)" in render(table, "latex")
    assert f",lr={lr}" in render(table, "csv").splitlines()[1] and render(table, "csv").splitlines()[0].endswith(",best,chosen")


def test_random_search_trials_are_chosen_like_a_grid(tmp_path):
    trials = {
        "a": ({"lr": 0.01, "losses": {"dann": {"width": 100}}}, 0.70, [0.60, 0.62]),
        "b": ({"lr": 0.003, "losses": {"dann": {"width": 500}}}, 0.85, [0.70, 0.66]),
        "c": ({"lr": 0.02, "losses": {"dann": {"width": 100}}}, 0.80, [0.90, 0.88]),
    }
    for name, (config, source_val, targets) in trials.items():
        for seed, target in enumerate(targets):
            fake_record(
                tmp_path,
                f"{name}{seed}",
                "dann",
                "mnist",
                "usps",
                seed,
                None,
                config=config,
                history=[{"step": 1, "source_val_acc": source_val, "target_test_acc": target}],
            )
    fake_record(tmp_path, "c2", "dann", "mnist", "usps", 2, None, status="failed", config=trials["c"][0])
    table = build_table(collect(tmp_path, "source-val"), "source-val", "rs")
    cell = table.rows["dann"][0]
    assert cell.n == 2 and cell.mean == pytest.approx(68.0) and cell.note == "1 failed in other settings"
    assert table.chosen == ("DANN, MNIST->USPS: losses.dann.width=500, lr=0.003 (best of 3 settings)",)
    oracle = build_table(collect(tmp_path, "oracle"), "oracle", "rs")
    assert oracle.rows["dann"][0].mean == pytest.approx(89.0) and oracle.rows["dann"][0].note == "1 failed"
    assert oracle.chosen == ("DANN, MNIST->USPS: losses.dann.width=100, lr=0.02 (best of 3 settings)",)


def test_selection_comparison_lists_each_rules_choice(tmp_path):
    grid_records(tmp_path)
    table = selection_comparison({r: build_table(collect(tmp_path, r), r, "t") for r in ("source-val", "oracle")}, "t")
    assert [e.mean for e in table.rows["dann"]] == pytest.approx([55.0, 75.0])
    md = render(table, "md")
    assert "source-val: DANN, MNIST->USPS: lr=0.01 (best of 2 settings)" in md and "oracle: DANN, MNIST->USPS: lr=0.03 (best of 2 settings)" in md
