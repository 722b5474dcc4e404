"""The rebuilt MNIST-M training split: recipe, determinism, cache, and the leak rule on generated trees."""

import shutil

import numpy as np
import pytest
import torch
from PIL import Image
from test_digits import mnist_m_tree, write_idx

from da_bench.config import from_dict
from da_bench.data import mnistm_build
from da_bench.data.checks import drops_target_test_origins
from da_bench.data.datamodule import PairedDataModule
from da_bench.data.digits import read_idx
from da_bench.data.domains import cache_dir, load_domain

N_TRAIN, N_TEST = 12, 6


def tree(root, photos: int = 3, mnist_m_test: bool = True) -> None:
    """MNIST train/test IDX files, a few noise JPEGs as BSDS500 photos, and MNIST-M test PNGs."""
    rng = np.random.default_rng(1)
    (root / "mnist").mkdir()
    digits = np.zeros((N_TRAIN, 28, 28), dtype=np.uint8)
    digits[:, 5:20, 12:15] = rng.integers(1, 256, (N_TRAIN, 15, 3))  # a vertical stroke of grey values
    write_idx(root / "mnist" / "train-images-idx3-ubyte.gz", digits)
    write_idx(root / "mnist" / "train-labels-idx1-ubyte.gz", np.arange(N_TRAIN) % 10)
    write_idx(root / "mnist" / "t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (N_TEST, 28, 28)))
    write_idx(root / "mnist" / "t10k-labels-idx1-ubyte.gz", np.arange(N_TEST) % 10)
    (root / "bsds500" / "train").mkdir(parents=True)
    for k in range(photos):
        Image.fromarray(rng.integers(0, 256, (40 + k, 50, 3), dtype=np.uint8)).save(root / "bsds500" / "train" / f"{k}.jpg")
    if mnist_m_test:
        mnist_m_tree(root, N_TEST, N_TEST)


def built(root, seed: int = mnistm_build.SEED) -> np.ndarray:
    images = root / "mnist" / "train-images-idx3-ubyte.gz"
    (root / f"cache{seed}").mkdir(exist_ok=True)
    return mnistm_build.mnistm_train(images, read_idx(images), mnistm_build.photo_files(root), root / f"cache{seed}", seed)


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("DA_BENCH_CACHE", str(tmp_path / "cache"))  # this tree's cache only
    tree(tmp_path)
    return tmp_path


def test_same_seed_same_images_other_seed_other_images(root):
    first = built(root)
    again = mnistm_build.blend(
        read_idx(root / "mnist" / "train-images-idx3-ubyte.gz"), mnistm_build.read_photos(mnistm_build.photo_files(root)), mnistm_build.SEED
    )
    assert np.array_equal(first, again)
    assert not np.array_equal(first, built(root, seed=7))


def test_each_image_is_a_photo_crop_minus_the_binarised_digit(root):
    x = built(root)
    assert x.shape == (N_TRAIN, 32, 32, 3) and x.dtype == np.uint8
    photos = [np.asarray(Image.open(root / "bsds500" / "train" / f"{k}.jpg").convert("RGB")).astype(int) for k in range(3)]
    digits = read_idx(root / "mnist" / "train-images-idx3-ubyte.gz")
    for i in range(N_TRAIN):
        # the 2-pixel border holds no digit: it is the photo patch itself, which locates the crop
        hits = [
            (p, r, c)
            for p in photos
            for r in range(p.shape[0] - 31)
            for c in range(p.shape[1] - 31)
            if np.array_equal(p[r : r + 32, c : c + 32][:2], x[i][:2]) and np.array_equal(p[r : r + 32, c : c + 32][:, :2], x[i][:, :2])
        ]
        assert len(hits) == 1
        p, r, c = hits[0]
        patch = p[r : r + 32, c : c + 32]
        # hand-checked pixels: digit pixel (10, 13) is a stroke (value > 0) -> 255 - patch at (12, 15); digit (0, 0) is 0 -> patch at (2, 2)
        assert digits[i, 10, 13] > 0 and digits[i, 0, 0] == 0
        assert x[i, 12, 15].tolist() == (255 - patch[12, 15]).tolist()
        assert x[i, 2, 2].tolist() == patch[2, 2].tolist()


def test_domain_has_built_train_and_original_test_of_one_size(root):
    data = load_domain("mnist_m", root)
    train, test = data.splits["train"], data.splits["test"]
    assert train.x.shape == (N_TRAIN, 3, 32, 32) and test.x.shape == (N_TEST, 3, 32, 32)
    assert 0.0 <= float(train.x.min()) and float(train.x.max()) <= 1.0 and train.x.dtype == torch.float32
    assert train.y.tolist() == [i % 10 for i in range(N_TRAIN)]  # the MNIST training labels
    assert train.origin.tolist() == list(range(N_TRAIN))  # MNIST training indices, as load_mnist numbers them
    assert np.array_equal(train.origin, load_domain("mnist", root).splits["train"].origin[:N_TRAIN])


@pytest.mark.parametrize("missing", ["bsds500", "mnist/train-images-idx3-ubyte.gz"])
def test_without_photos_or_mnist_train_only_the_test_split(root, missing):
    path = root / missing
    shutil.rmtree(path) if path.is_dir() else path.unlink()
    assert set(load_domain("mnist_m", root).splits) == {"test"}


def test_second_load_reads_the_cache(root, monkeypatch):
    first = load_domain("mnist_m", root).splits["train"].x
    monkeypatch.setattr(mnistm_build, "blend", lambda *a: pytest.fail("built again instead of reading the cache"))
    assert torch.equal(load_domain("mnist_m", root).splits["train"].x, first)


@pytest.mark.parametrize("damage", [lambda b: b[: len(b) // 2], lambda b: b"not an npz"])
def test_corrupt_cache_is_deleted_and_rebuilt(root, capsys, damage):
    first = load_domain("mnist_m", root).splits["train"].x
    (cached,) = cache_dir().glob("mnistm_train-*.npz")
    cached.write_bytes(damage(cached.read_bytes()))
    capsys.readouterr()
    assert torch.equal(load_domain("mnist_m", root).splits["train"].x, first)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "corrupt" in err and cached.name in err
    assert np.load(cached)["x"].shape == (N_TRAIN, 32, 32, 3)


def test_cache_key_follows_every_input(root):
    images, photos = root / "mnist" / "train-images-idx3-ubyte.gz", mnistm_build.photo_files(root)
    base = mnistm_build.cache_key(images, photos, 0, N_TRAIN)
    assert mnistm_build.cache_key(images, photos, 0, N_TRAIN) == base
    assert mnistm_build.cache_key(images, photos, 1, N_TRAIN) != base
    assert mnistm_build.cache_key(images, photos, 0, N_TRAIN - 1) != base
    assert mnistm_build.cache_key(images, photos[:-1], 0, N_TRAIN) != base
    photos[0].rename(photos[0].with_name("renamed.jpg"))
    assert mnistm_build.cache_key(images, mnistm_build.photo_files(root), 0, N_TRAIN) != base
    photos[0].with_name("renamed.jpg").rename(photos[0])
    photos[1].write_bytes(photos[1].read_bytes() + b"\0")
    assert mnistm_build.cache_key(images, mnistm_build.photo_files(root), 0, N_TRAIN) != base
    photos[1].write_bytes(photos[1].read_bytes()[:-1])
    images.write_bytes(images.read_bytes() + b"\0")
    assert mnistm_build.cache_key(images, photos, 0, N_TRAIN) != base


def test_no_source_train_digit_behind_a_target_test_image(root):
    assert drops_target_test_origins("mnist", "mnist_m") is True  # the rule applies: origins are matched, then dropped
    dm = PairedDataModule(from_dict({"source": "mnist", "target": "mnist_m", "data_root": str(root), "steps": 2, "eval_every": 1, "batch_size": 2}))
    dm.setup("fit")
    s = dm.splits
    source = np.concatenate([s["source_train"].origin, s["source_val"].origin])
    assert sorted(source.tolist()) == list(range(N_TRAIN))  # every MNIST training digit stays: nothing is dropped
    assert s["target_unlabeled"].origin.tolist() == list(range(N_TRAIN))  # the built split, from MNIST-train digits
    assert s["target_test"].origin.tolist() == [10**6 + i for i in range(N_TEST)]  # the whole original test split, MNIST-test digits
    assert not set(source.tolist()) & set(s["target_test"].origin.tolist())


def test_shared_photos_build_a_subset_like_the_original(shared_root, monkeypatch):
    monkeypatch.setattr(mnistm_build, "TRAIN_SIZE", 300)
    data = load_domain("mnist_m", shared_root)
    train, test = data.splits["train"], data.splits["test"]
    assert len(mnistm_build.photo_files(shared_root)) == 200
    assert train.x.shape == (300, 3, 32, 32) and train.x.shape[1:] == test.x.shape[1:]
    mnist = load_domain("mnist", shared_root).splits["train"]
    assert torch.equal(train.y, mnist.y[:300])
    # MNIST-M test pixels average about 0.45 per channel (0.4609, 0.4644, 0.4109 on the original test split)
    assert torch.allclose(train.x.mean((0, 2, 3)), test.x.mean((0, 2, 3)), atol=0.04)
