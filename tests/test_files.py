"""Shared readers: list files, MATLAB files that are text or corrupt, label counts."""

import numpy as np
import pytest
from scipy.io import savemat

from da_bench.data.domains import DataError
from da_bench.data.files import check_count, load_mat, read_pairs, refuse_non_finite

LFS_POINTER = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 182040794\n"


def test_read_pairs_keeps_spaces_in_paths_and_names_a_bad_line(tmp_path):
    good = tmp_path / "list.txt"
    good.write_text("Real World/Mug/00001.jpg 3\n\nb.jpg 0\n")
    assert read_pairs(good) == [("Real World/Mug/00001.jpg", 3), ("b.jpg", 0)]
    bad = tmp_path / "bad.txt"
    bad.write_text("a.jpg 1\nb.jpg\n")
    with pytest.raises(DataError, match=r"Line 2 of '.*bad.txt' reads 'b.jpg'"):
        read_pairs(bad)


def test_mat_file_that_is_text_is_named(tmp_path):
    path = tmp_path / "train_32x32.mat"
    path.write_text(LFS_POINTER)
    with pytest.raises(DataError, match=r"train_32x32.mat' is text, not a MATLAB file \(it begins 'version https://git-lfs"):
        load_mat(path, ("X", "y"))


@pytest.mark.parametrize("cut", [0, 150])
def test_empty_or_truncated_mat_file_is_named(tmp_path, cut):
    savemat(tmp_path / "whole.mat", {"X": np.arange(400.0).reshape(20, 20), "y": np.ones(20)})
    path = tmp_path / "cut.mat"
    path.write_bytes((tmp_path / "whole.mat").read_bytes()[:cut])
    with pytest.raises(DataError, match="cut.mat' is corrupt or not a MATLAB file"):
        load_mat(path, ("X", "y"))


def test_v5_mat_arrays_by_name(tmp_path):
    savemat(tmp_path / "f.mat", {"X": np.ones((2, 3)), "y": np.array([[1], [2]])})
    arrays = load_mat(tmp_path / "f.mat", ("X", "y"))
    assert arrays["X"].shape == (2, 3) and arrays["y"].ravel().tolist() == [1, 2]
    with pytest.raises(KeyError):
        load_mat(tmp_path / "f.mat", ("Z",))


def test_count_mismatch_names_file_counts_and_fix(tmp_path):
    check_count(tmp_path / "labels.txt", 3, 3, "images", "fix it")
    with pytest.raises(DataError, match=r"labels.txt' has 2 labels for 3 images; fix it\."):
        check_count(tmp_path / "labels.txt", 2, 3, "images", "fix it")


def test_non_finite_rows_are_counted_per_sample_whatever_the_shape():
    """Images (n, c, h, w) count per sample: 2 of 4 images hold a NaN or an infinity, the first is image 1."""
    x = np.zeros((4, 1, 2, 2))
    x[1, 0, 1, 1], x[3, 0, 0, 0] = np.nan, -np.inf
    with pytest.raises(DataError, match=r"^The test images hold NaN or infinite values in 2 of 4 rows \(the first row 1\); fix it\.$"):
        refuse_non_finite("test images", x, fix="fix it")
    refuse_non_finite("test images", np.zeros((4, 1, 2, 2)))
