import numpy as np
import pytest
import torch

from da_bench.data.domains import DataError, load_domain
from da_bench.data.features import feature_domain, read_arrays


def test_office_caltech_surf_shared(shared_root):
    counts = {"surf_amazon": 958, "surf_caltech": 1123, "surf_dslr": 157, "surf_webcam": 295}
    for name, n in counts.items():
        split = load_domain(name, shared_root).splits["all"]
        assert split.x.shape == (n, 800) and int(split.y.min()) == 0 and int(split.y.max()) == 9
    x = load_domain("surf_dslr", shared_root).splits["all"].x
    assert torch.allclose(x.mean(0), torch.zeros(800), atol=1e-4)  # GFK preprocessing: zscore after l1


def test_amazon_review_and_jda_v73_shared(shared_root):
    books = load_domain("amazon_books", shared_root).splits["all"]
    assert books.x.shape == (2000, 400) and torch.bincount(books.y).tolist() == [1000, 1000]
    usps = load_domain("jda_usps", shared_root).splits["all"]  # MATLAB v7.3 through h5py
    assert usps.x.shape == (1800, 256) and torch.bincount(usps.y).tolist()[0] == 352


def test_decaf_shared(shared_root):
    assert load_domain("decaf_webcam", shared_root).splits["all"].x.shape == (295, 4096)


def test_npz_and_csv_with_configurable_names(tmp_path):
    np.savez(tmp_path / "f.npz", feats=np.ones((4, 3)), lab=np.array([0, 1, 0, 1]))
    x, y = read_arrays(tmp_path / "f.npz", "feats", "lab")
    assert x.shape == (4, 3) and y.tolist() == [0, 1, 0, 1]
    (tmp_path / "f.csv").write_text("a,b,label\n1,2,0\n3,4,1\n")
    x, y = read_arrays(tmp_path / "f.csv", "unused", "label")
    assert x.tolist() == [[1, 2], [3, 4]] and y.tolist() == [0, 1]
    with pytest.raises(DataError, match="x_key/y_key"):
        read_arrays(tmp_path / "f.npz", "X", "lab")


def test_feature_domain_loader_checks_consistency(tmp_path):
    np.savez(tmp_path / "bad.npz", X=np.ones((4, 3)), y=np.array([0, 1]))
    with pytest.raises(DataError, match=r"bad.npz' has 2 labels for 4 feature rows; the file is inconsistent"):
        feature_domain("bad", "bad.npz", "X", "y", 2)(tmp_path, tmp_path)


def test_feature_file_that_is_text_names_the_file(tmp_path):
    (tmp_path / "office_caltech10_surf").mkdir()
    (tmp_path / "office_caltech10_surf" / "webcam_SURF_L10.mat").write_text("<html><body>404 Not Found</body></html>\n")
    with pytest.raises(DataError, match=r"webcam_SURF_L10.mat' is text, not a MATLAB file"):
        load_domain("surf_webcam", tmp_path)


@pytest.mark.parametrize("name, content", [("bad.npz", b"PK\x03\x04 half a zip"), ("bad.csv", b"a,b,label\n1,2,0\n3,1\n")])
def test_corrupt_npz_or_csv_names_the_file(tmp_path, name, content):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(DataError, match=f"{name}' is corrupt or unreadable"):
        read_arrays(tmp_path / name, "X", "label")


def test_text_npz_and_empty_csv_name_the_file(tmp_path):
    (tmp_path / "f.npz").write_text("X,y\n1,0\n")
    with pytest.raises(DataError, match="f.npz' is text, not an .npz archive"):
        read_arrays(tmp_path / "f.npz", "X", "y")
    (tmp_path / "f.csv").write_text("\n")
    with pytest.raises(DataError, match="f.csv' holds no header and data rows"):
        read_arrays(tmp_path / "f.csv", "X", "y")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_features_name_the_file_and_row(tmp_path, bad):
    x = np.ones((5, 3))
    x[3, 1] = bad
    np.savez(tmp_path / "f.npz", X=x, y=np.array([0, 1, 0, 1, 0]))
    with pytest.raises(DataError, match=r"The 'X' values of file '.*f.npz' hold NaN or infinite values in 1 of 5 rows \(the first row 3\)"):
        feature_domain("f", "f.npz", "X", "y", 2)(tmp_path, tmp_path)
