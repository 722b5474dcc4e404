import pytest
from helpers import fake_manifest, fake_record, lr_trial

from da_bench.cli import main, write_tables
from da_bench.runner.records import write_json_atomic

HEADER = "a CSV whose header has method, source_pair, accuracy"


def one_error_line(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("da-bench: error: ") and "Traceback" not in err
    return err


@pytest.fixture
def runs(tmp_path):
    fake_record(tmp_path, "a", "dann", "mnist", "usps", 0, 0.8)
    return tmp_path


@pytest.mark.parametrize(
    "content, says",
    [
        ('{"run_id": ', "is not valid JSON"),
        ("", "is empty"),
        ("\x00\xff garbage", "is not valid JSON"),
        ("[1, 2]", "lacks a JSON object"),
        ('{"run_id": "b", "status": "done"}', "lacks 'config'"),
    ],
)
def test_a_bad_record_stops_the_table_naming_the_file(runs, capsys, content, says):
    bad = runs / "runs" / "b" / "record.json"
    bad.parent.mkdir(parents=True)
    bad.write_text(content)
    out = runs / "table.md"
    err = one_error_line(capsys, ["table", str(runs), "--output", str(out)])
    assert f"'{bad}'" in err and says in err and "delete its run folder" in err
    assert not out.exists()


def test_a_done_record_without_history_is_refused(runs, capsys):
    path = runs / "runs" / "b" / "record.json"
    write_json_atomic(path, {"run_id": "b", "status": "done", "config": {"method": "dann", "source": "mnist", "target": "usps", "seed": 1}})
    assert f"Run record '{path}' lacks 'history'" in one_error_line(capsys, ["table", str(runs)])


def test_a_record_whose_config_lacks_the_method_is_refused(runs, capsys):
    path = runs / "runs" / "b" / "record.json"
    write_json_atomic(path, {"run_id": "b", "status": "failed", "config": {"source": "mnist", "target": "usps"}})
    assert f"Run record '{path}' lacks config 'method'" in one_error_line(capsys, ["table", str(runs)])


def test_a_corrupt_manifest_is_named(runs, capsys):
    (runs / "sweeps").mkdir()
    (runs / "sweeps" / "s.json").write_text("{")
    assert f"Sweep manifest '{runs / 'sweeps' / 's.json'}' is not valid JSON" in one_error_line(capsys, ["table", str(runs)])


def test_an_empty_runs_folder_says_so(tmp_path, capsys):
    err = one_error_line(capsys, ["table", str(tmp_path)])
    assert f"No run records (runs/<id>/record.json) or sweep manifests under '{tmp_path}'" in err and "--out folder" in err


@pytest.mark.parametrize(
    "content, says",
    [
        ("hello, world\n1, 2\n", HEADER),
        ("\x00\x01\x02", HEADER),
        ("method,source_pair,accuracy\nDANN,MNIST->USPS,high\n", "gives accuracy 'high' for DANN on MNIST->USPS"),
    ],
)
def test_a_garbage_reference_names_the_file_and_the_header(runs, capsys, content, says):
    ref = runs / "ref.csv"
    ref.write_text(content)
    err = one_error_line(capsys, ["table", str(runs), "--reference", str(ref)])
    assert f"Reference file '{ref}'" in err and says in err


def test_a_missing_reference_is_named(runs, capsys):
    err = one_error_line(capsys, ["table", str(runs), "--reference", str(runs / "nope.csv")])
    assert f"Reference file '{runs / 'nope.csv'}' does not exist" in err and HEADER in err


def test_reference_with_all_rules_is_refused(runs, capsys):
    ref = runs / "ref.csv"
    ref.write_text("method,source_pair,accuracy\nDANN,MNIST->USPS,90\n")
    assert "'--selection all'" in one_error_line(capsys, ["table", str(runs), "--selection", "all", "--reference", str(ref)])


def test_sweep_tables_are_the_table_commands_tables(tmp_path, capsys):
    for lr, accs in ((0.01, (0.6, 0.7)), (0.03, (0.5, 0.9))):
        for seed, acc in enumerate(accs):
            lr_trial(tmp_path, lr, seed, [(0.8 if lr == 0.01 else 0.7, acc)])
    fake_manifest(tmp_path, "g", [(f"{lr}-{seed}", "dann", "mnist", "usps", seed) for lr in (0.01, 0.03) for seed in range(2)])
    write_tables(tmp_path, tmp_path / "tables", "t", ["source-val", "oracle"], None)
    capsys.readouterr()
    for rule in ("source-val", "oracle"):
        assert main(["table", str(tmp_path), "--title", "t", "--selection", rule]) == 0
        assert capsys.readouterr().out in (tmp_path / "tables" / "t.md").read_text()
        assert main(["table", str(tmp_path), "--title", "t", "--selection", rule, "--format", "csv"]) == 0
        assert capsys.readouterr().out == (tmp_path / "tables" / f"t_{rule}.csv").read_bytes().decode()
    assert (tmp_path / "tables" / "t.png").stat().st_size > 1000
