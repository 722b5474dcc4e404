"""scripts/classic_grid.py: the grid point that reproduces a published cell is found, checked against `da-bench run`."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from helpers import SCRIPTS, script_module

from da_bench.cli import main

SCRIPT = SCRIPTS / "classic_grid.py"
PAIR = ["source=moons", "target=moons_rot35", "threads=1"]


def grid(*args: object) -> subprocess.CompletedProcess[str]:
    """The script's ``main`` in this process (a new interpreter would spend most of the test importing Lightning); its
    exit status and output as the shell would see them (``SystemExit("sentence")``: the sentence on stderr, status 1)."""
    out, err, argv = io.StringIO(), io.StringIO(), sys.argv
    sys.argv = [str(SCRIPT), *map(str, args)]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            script_module("classic_grid").main()
        code = 0
    except SystemExit as stop:
        code = 0 if stop.code is None else stop.code if isinstance(stop.code, int) else 1
        if isinstance(stop.code, str):
            err.write(stop.code + "\n")
    finally:
        sys.argv = argv
    return subprocess.CompletedProcess(sys.argv, code, out.getvalue(), err.getvalue())


def reference(path: Path, method: str, accuracy: float) -> Path:
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["benchmark", "method", "source_pair", "accuracy"])
        writer.writerow(["Toy moons", method, "moons->moons_rot35", f"{accuracy:.2f}"])
    return path


def test_the_published_value_of_a_cli_run_is_found_at_its_grid_point(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "method=tca", "method_args={dim: 1, lam: 0.1}", *PAIR, "--out", str(out)]) == 0
    record = json.loads(next(out.glob("runs/*/record.json")).read_text())
    published = round(100 * record["final"]["target_test_acc"], 2)
    ref = reference(tmp_path / "ref.csv", "tca", published)
    table = tmp_path / "grid.csv"
    result = grid("tca", "--dims", 1, "--lams", 0.1, 1, 10, "--default", 1, 10, "--reference", ref, "--benchmark", "Toy", "--csv", table)
    assert result.returncode == 0, result.stderr
    line = next(s for s in result.stdout.splitlines() if s.startswith("moons->moons_rot35:"))
    exact = line.split("exact at ")[1].split(";")[0]
    assert "(1, 0.1)" in exact.replace("), (", ")|(").split("|"), line
    assert f"published {published:.2f}" in line
    rows = list(csv.DictReader(open(table)))
    assert [(r["dim"], r["lam"]) for r in rows] == [("1", "0.1"), ("1", "1.0"), ("1", "10.0")]
    at_run = next(float(r["accuracy"]) for r in rows if (r["dim"], r["lam"]) == ("1", "0.1"))
    assert round(at_run, 2) == published
    at_default = next(float(r["accuracy"]) for r in rows if (r["dim"], r["lam"]) == ("1", "10.0"))
    assert line.endswith(f"default {at_default:.2f}")


def test_a_method_without_published_rows_is_one_sentence(tmp_path):
    ref = reference(tmp_path / "ref.csv", "pca", 50.0)
    result = grid("jda", "--dims", 1, "--reference", ref, "--benchmark", "Toy")
    assert result.returncode != 0 and "No published 'jda' rows" in result.stderr and "Traceback" not in result.stderr
