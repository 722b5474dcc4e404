"""The CSV log a resumed run continues."""

from da_bench.runner.csvlog import ContinuingCSVLogger, continue_log

LOG = "epoch,eval/acc,step,train/loss\n0,,49,1.5\n0,0.8,74,\n1,,99,1.2\n"


def test_resume_keeps_rows_before_the_checkpoint_and_appends(tmp_path):
    path = tmp_path / "logs" / "metrics.csv"
    path.parent.mkdir()
    path.write_text(LOG)
    continue_log(path, 75)  # the checkpoint was written after step 75; the row at step 99 will be logged again
    assert path.read_text() == "epoch,eval/acc,step,train/loss\n0,,49,1.5\n0,0.8,74,\n"
    logger = ContinuingCSVLogger(str(tmp_path), name="logs", version="")
    logger.log_metrics({"epoch": 1, "train/loss": 1.25}, step=99)
    logger.save()
    assert path.read_text().splitlines()[1:] == ["0,,49,1.5", "0,0.8,74,", "1,,99,1.25"]


def test_a_fresh_start_drops_the_old_log(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text(LOG)
    continue_log(path, None)
    assert not path.exists()
