import re
import statistics

import pytest

from da_bench.report.collect import collect
from da_bench.report.table import build_table, latex_escape, load_reference, render, selection_comparison
from helpers import fake_manifest, fake_record


@pytest.fixture
def runs(tmp_path):
    accs = {("source_only", 0): 0.50, ("source_only", 1): 0.54, ("source_only", 2): 0.52,
            ("dann", 0): 0.70, ("dann", 1): 0.60, ("dann", 2): 0.65}
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


def test_csv_and_html(runs):
    csv_text = render(build_table(collect(runs, "last"), "last", "d"), "csv")
    assert csv_text.splitlines()[0].startswith("method,pair,selection,mean")
    html = render(build_table(collect(runs, "last"), "last", "d"), "html")
    assert html.count("<tr>") == 3 and "<b>" in html


def test_reference_numbers_beside_ours(runs, tmp_path):
    ref = tmp_path / "ref.csv"
    ref.write_text("benchmark,backbone,method,source_pair,accuracy,source_ref,notes\n"
                   "Digits,x,DANN,MNIST->MNIST-M,76.66,Ganin 2016 Table 2,\nDigits,x,DANN,Avg,90.0,Ganin 2016 Table 2,\n"
                   "Digits,y,Source-only,MNIST->MNIST-M,50.0,other repo,unverified\nDigits,z,DANN,SVHN->MNIST,70.0,uncited paper,\n")
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
