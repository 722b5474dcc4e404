"""da_bench.atomic.write_atomic: a file replaced whole, each write through a temporary file of its own."""

from pathlib import Path

import numpy as np
import pytest

from da_bench.atomic import write_atomic


def test_a_second_writer_during_a_first_uses_its_own_temporary_file(tmp_path):
    """Two processes building one cache file at once must not write into one temporary file (one would move the other's
    half-written file into place): a write started while another is half done, as a parallel worker's would be."""
    target = tmp_path / "cache" / "mnistm_like-abc.npz"
    seen: list[Path] = []

    def outer(tmp: Path) -> None:
        seen.append(tmp)
        tmp.write_bytes(b"half")  # half written when the other worker starts
        write_atomic(target, lambda other: (seen.append(other), np.savez(other, x=np.arange(3))))
        np.savez(tmp, x=np.arange(5))

    write_atomic(target, outer)
    assert len(set(seen)) == 2 and all(p.parent == target.parent and p.suffix == ".npz" for p in seen)  # np.savez adds no suffix
    assert np.load(target)["x"].tolist() == [0, 1, 2, 3, 4]
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]  # no temporary file left


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    target = tmp_path / "record.json"
    target.write_text("old")

    def fail(tmp: Path) -> None:
        tmp.write_text("new, cut short")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, fail)
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["record.json"]
