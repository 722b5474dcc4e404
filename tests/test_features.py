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
    with pytest.raises(DataError, match="inconsistent"):
        feature_domain("bad", "bad.npz", "X", "y", 2)(tmp_path, tmp_path)
