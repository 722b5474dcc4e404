"""Digit loaders on the shared real data (where present) and on generated files in the real layouts."""

import bz2
import gzip
import struct
import warnings

import h5py
import numpy as np
import pytest
import torch
from PIL import Image

from da_bench.data.domains import DataError, describe, load_domain


def write_idx(path, array: np.ndarray, compress: bool = True) -> None:
    header = bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    (gzip.open if compress else open)(path, "wb").write(data)


def test_mnist_shared_full_train_and_test_sets(shared_root):
    data = load_domain("mnist", shared_root)
    train, test = data.splits["train"], data.splits["test"]
    assert set(data.splits) == {"train", "test"}
    assert train.x.shape == (60000, 1, 28, 28) and test.x.shape == (10000, 1, 28, 28)
    # class counts from the shared data's SOURCE.md (the original files)
    assert torch.bincount(train.y).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert torch.bincount(test.y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_usps_shared_h5(shared_root):
    data = load_domain("usps", shared_root)
    assert len(data.splits["train"]) == 7291 and len(data.splits["test"]) == 2007
    assert data.splits["train"].x.shape[1:] == (1, 16, 16)


def test_mnist_m_shared_pngs_and_origin(shared_root, monkeypatch):
    from da_bench.data import mnistm_build

    monkeypatch.setattr(mnistm_build, "TRAIN_SIZE", 100)  # the built train split: a cheap subset here
    data = load_domain("mnist_m", shared_root)
    test = data.splits["test"]
    assert test.x.shape == (9001, 3, 32, 32) and data.splits["train"].x.shape == (100, 3, 32, 32)
    mnist = load_domain("mnist", shared_root).splits["test"]
    assert torch.equal(test.y, mnist.y[:9001])  # MNIST-M test i comes from MNIST test i
    assert np.array_equal(test.origin, mnist.origin[:9001])


def test_mnist_generated_train_and_raw_files(tmp_path):
    (tmp_path / "mnist").mkdir()
    write_idx(tmp_path / "mnist" / "train-images-idx3-ubyte.gz", np.random.randint(0, 255, (7, 28, 28)))
    write_idx(tmp_path / "mnist" / "train-labels-idx1-ubyte.gz", np.arange(7))
    write_idx(tmp_path / "mnist" / "t10k-images-idx3-ubyte", np.zeros((3, 28, 28)), compress=False)
    write_idx(tmp_path / "mnist" / "t10k-labels-idx1-ubyte", np.array([1, 2, 3]), compress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. torch's warning about tensors over read-only buffers
        data = load_domain("mnist", tmp_path)
    assert len(data.splits["train"]) == 7 and len(data.splits["test"]) == 3


def test_corrupt_and_missing_mnist_files_are_named(tmp_path):
    with pytest.raises(DataError, match="mnist"):
        load_domain("mnist", tmp_path)
    (tmp_path / "mnist").mkdir()
    (tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz").write_bytes(b"not gzip at all")
    write_idx(tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz", np.array([1]))
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz"):
        load_domain("mnist", tmp_path)


def test_usps_libsvm_bz2(tmp_path):
    (tmp_path / "usps").mkdir()
    lines = ["3 1:-1 2:1 256:0.5", "10 5:0.25"]
    (tmp_path / "usps" / "usps.bz2").write_bytes(bz2.compress("\n".join(lines).encode()))
    data = load_domain("usps", tmp_path)
    train = data.splits["train"]
    assert train.y.tolist() == [2, 9]
    assert float(train.x[0, 0, 0, 0]) == 0.0 and float(train.x[0, 0, 0, 1]) == 1.0


def test_usps_h5_generated(tmp_path):
    (tmp_path / "usps").mkdir()
    with h5py.File(tmp_path / "usps" / "usps.h5", "w") as fh:
        for split, n in (("train", 5), ("test", 2)):
            fh.create_dataset(f"{split}/data", data=np.random.rand(n, 256).astype(np.float32))
            fh.create_dataset(f"{split}/target", data=np.arange(n, dtype=np.int32))
    assert len(load_domain("usps", tmp_path).splits["train"]) == 5


def test_mnist_m_corrupt_png_named(tmp_path):
    folder = tmp_path / "mnist_m" / "mnist_m_train"
    folder.mkdir(parents=True)
    Image.fromarray(np.zeros((32, 32, 3), dtype=np.uint8)).save(folder / "00000000.png")
    (folder / "00000001.png").write_bytes(b"broken")
    (tmp_path / "mnist_m" / "mnist_m_train_labels.txt").write_text("00000000.png 4\n00000001.png 5\n")
    with pytest.raises(DataError, match="00000001.png"):
        load_domain("mnist_m", tmp_path)


def test_svhn_mat_label_ten_is_zero(tmp_path):
    from scipy.io import savemat

    (tmp_path / "svhn").mkdir()
    savemat(tmp_path / "svhn" / "test_32x32.mat", {"X": np.zeros((32, 32, 3, 4), dtype=np.uint8), "y": np.array([[10], [1], [2], [10]])})
    data = load_domain("svhn", tmp_path)
    assert data.splits["test"].y.tolist() == [0, 1, 2, 0] and data.splits["test"].x.shape == (4, 3, 32, 32)


def test_label_out_of_range_stops_with_message(tmp_path):
    from scipy.io import savemat

    (tmp_path / "syndigits").mkdir()
    savemat(tmp_path / "syndigits" / "synth_test_32x32.mat", {"X": np.zeros((32, 32, 3, 2), dtype=np.uint8), "y": np.array([[11], [1]])})
    with pytest.raises(DataError, match="outside 0..9"):
        load_domain("syndigits", tmp_path)


def test_describe_reports_missing_with_how_to_obtain(tmp_path):
    row = describe("svhn", tmp_path)
    assert row["found"] is False and "torchvision" in row["obtain"]


def test_mnist_binary_keeps_labels_and_origins(tmp_path):
    (tmp_path / "mnist").mkdir()
    images = np.zeros((3, 28, 28), dtype=np.uint8)
    images[:, 10, 10], images[:, 12, 12] = 1, 200
    write_idx(tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz", images)
    write_idx(tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz", np.array([4, 5, 6]))
    plain, binary = load_domain("mnist", tmp_path).splits["test"], load_domain("mnist_binary", tmp_path).splits["test"]
    assert set(binary.x.unique().tolist()) == {0.0, 1.0} and float(binary.x[0, 0, 10, 10]) == 1.0
    assert float(plain.x[0, 0, 10, 10]) == pytest.approx(1 / 255)
    assert torch.equal(binary.y, plain.y) and np.array_equal(binary.origin, plain.origin)  # the MNIST-M leak guard still applies


def mnist_m_tree(root, pngs: int, label_lines: int) -> None:
    folder = root / "mnist_m" / "mnist_m_test"
    folder.mkdir(parents=True)
    for i in range(pngs):
        Image.fromarray(np.full((32, 32, 3), i, dtype=np.uint8)).save(folder / f"{i:08d}.png")
    (root / "mnist_m" / "mnist_m_test_labels.txt").write_text("".join(f"{i:08d}.png {i % 10}\n" for i in range(label_lines)))


@pytest.mark.parametrize("pngs, lines", [(3, 2), (2, 3)])
def test_mnist_m_label_file_must_match_the_images(tmp_path, pngs, lines):
    mnist_m_tree(tmp_path, pngs, lines)
    with pytest.raises(DataError, match=rf"mnist_m_test_labels.txt' has {lines} labels for {pngs} PNG images in .*one '<file> <label>' line per image"):
        load_domain("mnist_m", tmp_path)


def test_mnist_m_malformed_label_line_is_named(tmp_path):
    mnist_m_tree(tmp_path, 2, 2)
    (tmp_path / "mnist_m" / "mnist_m_test_labels.txt").write_text("00000000.png 4\n00000001.png five\n")
    with pytest.raises(DataError, match="Line 2 of .*mnist_m_test_labels.txt"):
        load_domain("mnist_m", tmp_path)


def test_svhn_mat_that_is_text_or_mismatched_is_named(tmp_path):
    from scipy.io import savemat

    (tmp_path / "svhn").mkdir()
    (tmp_path / "svhn" / "test_32x32.mat").write_text("version https://git-lfs.github.com/spec/v1\nsize 64275384\n")
    with pytest.raises(DataError, match="test_32x32.mat' is text, not a MATLAB file"):
        load_domain("svhn", tmp_path)
    savemat(tmp_path / "svhn" / "test_32x32.mat", {"X": np.zeros((32, 32, 3, 4), dtype=np.uint8), "y": np.array([[1], [2], [3]])})
    with pytest.raises(DataError, match="test_32x32.mat' has 3 labels for 4 images"):
        load_domain("svhn", tmp_path)
    savemat(tmp_path / "svhn" / "test_32x32.mat", {"X": np.zeros((4, 3, 32, 32), dtype=np.uint8), "y": np.ones((4, 1))})
    with pytest.raises(DataError, match=r"holds images of shape \(4, 3, 32, 32\), not 32x32x3xN"):
        load_domain("svhn", tmp_path)


def test_usps_h5_labels_must_match_images(tmp_path):
    (tmp_path / "usps").mkdir()
    with h5py.File(tmp_path / "usps" / "usps.h5", "w") as fh:
        for split, n in (("train", 5), ("test", 2)):
            fh.create_dataset(f"{split}/data", data=np.random.rand(n, 256).astype(np.float32))
            fh.create_dataset(f"{split}/target", data=np.arange(n - 1, dtype=np.int32))
    with pytest.raises(DataError, match="usps.h5:train/target' has 4 labels for 5 images"):
        load_domain("usps", tmp_path)


def test_mnist_labels_must_match_images(tmp_path):
    (tmp_path / "mnist").mkdir()
    write_idx(tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz", np.zeros((3, 28, 28)))
    write_idx(tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz", np.array([1, 2]))
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz' has 2 labels for 3 images in 't10k-images-idx3-ubyte.gz'"):
        load_domain("mnist", tmp_path)
