"""A CSV log that a resumed run continues: rows up to the checkpoint are kept, rows after it (to be redone) dropped."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from lightning_fabric.loggers.logger import rank_zero_experiment
from pytorch_lightning.loggers import CSVLogger
from pytorch_lightning.loggers.csv_logs import ExperimentWriter

from da_bench.atomic import write_atomic


class _ContinuingWriter(ExperimentWriter):
    """Lightning's writer, except that an existing ``metrics.csv`` is appended to instead of deleted."""

    def _check_log_dir_exists(self) -> None:
        if os.path.isfile(self.metrics_file_path):
            with open(self.metrics_file_path, newline="") as fh:
                self.metrics_keys = next(csv.reader(fh), [])


class ContinuingCSVLogger(CSVLogger):
    @property
    @rank_zero_experiment
    def experiment(self) -> ExperimentWriter:
        if self._experiment is None:
            os.makedirs(self.log_dir, exist_ok=True)
            self._experiment = _ContinuingWriter(log_dir=self.log_dir)
        return self._experiment


def continue_log(path: Path, before_step: int | None) -> None:
    """Keep the rows of ``path`` logged before ``before_step`` (a checkpoint's global step); no step: start afresh."""
    if not path.exists():
        return
    if before_step is None:
        path.unlink()
        return
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        fields, rows = reader.fieldnames or [], [row for row in reader if int(row["step"]) < before_step]

    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)

    write_atomic(path, write)
