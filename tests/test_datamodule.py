import numpy as np
import pytest
import torch
from scipy.io import savemat
from test_digits import mnist_m_tree, write_idx

from da_bench.config import from_dict
from da_bench.data.datamodule import PairedDataModule, concat_splits, harmonise
from da_bench.data.domains import DataError, Split
from da_bench.registry import DOMAINS


def module(**kw) -> PairedDataModule:
    cfg = from_dict({"source": "mnist5k", "target": "mnistm_like", "steps": 20, "eval_every": 10, "batch_size": 16, **kw})
    dm = PairedDataModule(cfg)
    dm.setup("fit")
    return dm


def test_target_batches_carry_no_labels_by_construction():
    dm = module()
    batches = list(dm.train_dataloader())
    assert len(batches) == 10
    for batch in batches:
        assert set(batch) == {"source", "target"}
        assert isinstance(batch["target"], torch.Tensor)  # images only: no tuple, no labels
        xs, ys = batch["source"]
        assert xs.shape == batch["target"].shape == (16, 3, 28, 28) and ys.shape == (16,)


def test_every_training_image_comes_with_its_own_label_and_from_its_own_split():
    dm = module(k_shot=1)
    source, target, labeled = (dm.splits[name] for name in ("source_train", "target_unlabeled", "target_labeled"))

    def rows(split):  # each image's bytes -> the labels it carries in the split (an image may repeat)
        table = {}
        for x, y in zip(split.x, split.y.tolist()):
            table.setdefault(x.numpy().tobytes(), set()).add(y)
        return table

    source_rows, target_rows, labeled_rows = rows(source), rows(target), rows(labeled)
    for batch in dm.train_dataloader():
        for (x, y), table in ((batch["source"], source_rows), (batch["target_labeled"], labeled_rows)):
            assert all(label in table[image.numpy().tobytes()] for image, label in zip(x, y.tolist()))
        assert all(image.numpy().tobytes() in target_rows for image in batch["target"])


def test_splits_are_disjoint_and_source_val_from_source_only():
    dm = module()
    s = dm.splits
    assert set(s) == {"source_train", "source_val", "target_unlabeled", "target_test"}
    assert not set(s["source_train"].origin.tolist()) & set(s["source_val"].origin.tolist())
    assert not set(s["target_unlabeled"].origin.tolist()) & set(s["target_test"].origin.tolist())
    assert len(s["source_val"]) == 250 and len(s["target_test"]) == 1250
    assert dm.eval_roles == ["source_val", "target_test", "target_unlabeled"]


def test_seed_fixes_splits_and_order():
    a, b, c = module(seed=3), module(seed=3), module(seed=4)
    assert np.array_equal(a.splits["target_test"].origin, b.splits["target_test"].origin)
    assert not np.array_equal(a.splits["target_test"].origin, c.splits["target_test"].origin)
    first_a, first_b = next(iter(a.train_dataloader())), next(iter(b.train_dataloader()))
    assert torch.equal(first_a["source"][1], first_b["source"][1]) and torch.equal(first_a["target"], first_b["target"])


def test_k_shot_target_labels():
    dm = module(k_shot=1)
    assert len(dm.splits["target_labeled"]) == 10
    assert sorted(dm.splits["target_labeled"].y.tolist()) == list(range(10))
    batch = next(iter(dm.train_dataloader()))
    assert set(batch) == {"source", "target", "target_labeled"}


def test_domain_generalization_never_shows_the_target():
    dm = module(mode="dg")
    assert "target_unlabeled" not in dm.splits and dm.eval_roles == ["source_val", "target_test"]
    assert len(dm.splits["target_test"]) == 2500
    assert set(next(iter(dm.train_dataloader()))) == {"source"}


def test_multiple_sources_pool_into_one():
    dm = module(source=["mnist5k", "sklearn_digits"])
    assert len(dm.splits["source_train"]) + len(dm.splits["source_val"]) == 2500 + 1797


def test_class_balanced_sampling_evens_out_classes():
    dm = module(source="moons", target="moons_rot35", backbone="mlp", class_balanced=True, batch_size=64, steps=100, eval_every=50)
    labels = torch.cat([b["source"][1] for b in dm.train_dataloader()])
    assert abs(float(labels.float().mean()) - 0.5) < 0.05


def test_label_space_mismatch_stops_at_setup():
    with pytest.raises(DataError, match="label spaces differ"):
        module(source="moons", target="mnistm_like")


def test_source_never_contains_a_target_test_digit(shared_root):
    dm = module(source="mnist", target="mnist_m", data_root=str(shared_root))
    test_origins = set(dm.splits["target_test"].origin.tolist())
    for name in ("source_train", "source_val"):
        assert not test_origins & set(dm.splits[name].origin.tolist())
    # the full MNIST: the source draws from the 60,000 training digits; the target test is the whole original
    # MNIST-M test split, made from MNIST test digits (origins from 10**6 on), so nothing leaves the source
    assert len(dm.splits["source_train"]) + len(dm.splits["source_val"]) == 60000
    assert min(test_origins) >= 10**6 and len(test_origins) == 9001


DIGIT_PAIRS = [("mnist", "usps"), ("usps", "mnist"), ("mnist", "mnist_m"), ("mnist_m", "mnist"), ("usps", "mnist_m"), ("mnist_m", "usps")]


@pytest.mark.parametrize("source, target", DIGIT_PAIRS)
def test_no_source_digit_behind_a_target_test_image_on_any_digits_pair(shared_root, source, target):
    """The rule per pair: MNIST and MNIST-M share a collection (MNIST-M images are MNIST digits on photos), so their
    origin ids must not meet; USPS is other handwriting, so it shares no digit with either."""
    dm = module(source=source, target=target, data_root=str(shared_root))
    s, t = DOMAINS.get(source).lineage, DOMAINS.get(target).lineage
    if s.collection == t.collection:
        source_origins = np.concatenate([dm.splits["source_train"].origin, dm.splits["source_val"].origin])
        test_origins = dm.splits["target_test"].origin
        assert s.collection == "mnist" and len(test_origins) == {"mnist": 10000, "mnist_m": 9001}[target]
        assert not np.isin(source_origins, test_origins).any()
    else:
        assert "usps" in (s.collection, t.collection)
    # nothing had to be dropped: each source keeps its whole training split (the digits' test splits are the target tests)
    assert len(dm.splits["source_train"]) + len(dm.splits["source_val"]) == {"mnist": 60000, "usps": 7291, "mnist_m": 59001}[source]


def test_joined_splits_keep_their_origins():
    a = Split(torch.zeros(2, 1), torch.tensor([0, 1]), np.array([5, 6]))
    b = Split(torch.zeros(3, 1), torch.tensor([1, 0, 1]), np.array([1000005, 1000006, 1000007]))
    assert concat_splits([a, b]).origin.tolist() == [5, 6, 1000005, 1000006, 1000007]
    assert concat_splits([a, Split(torch.zeros(1, 1), torch.tensor([0]))]).origin is None  # unknown for one part: unknown


def feature_file(root, relpath: str, key: str, n: int, dim: int) -> None:
    """A GFK-style .mat: ``n`` samples of ``dim`` features, labels 1..10."""
    (root / relpath).parent.mkdir(parents=True, exist_ok=True)
    savemat(root / relpath, {key: np.random.default_rng(0).random((n, dim)) + 0.1, "labels": np.arange(n)[:, None] % 10 + 1})


def test_same_domain_as_source_and_target_is_refused(tmp_path):
    feature_file(tmp_path, "office_caltech10_surf/amazon_SURF_L10.mat", "fts", 40, 8)
    for mode in ("uda", "dg"):
        with pytest.raises(DataError, match="both 'surf_amazon', so the target test split would be trained on"):
            module(source="surf_amazon", target="surf_amazon", backbone="mlp", data_root=str(tmp_path), mode=mode)


def test_same_shared_domain_is_refused(shared_root):
    with pytest.raises(DataError, match="both 'surf_amazon'"):
        module(source="surf_amazon", target="surf_amazon", backbone="mlp", data_root=str(shared_root))


def test_a_target_among_several_sources_is_refused():
    for mode in ("uda", "dg"):
        with pytest.raises(DataError, match="both 'sklearn_digits'"):
            module(source=["mnist5k", "sklearn_digits"], target="sklearn_digits", mode=mode)


def mnist_test_tree(root, n: int) -> None:
    (root / "mnist").mkdir()
    write_idx(root / "mnist" / "t10k-images-idx3-ubyte.gz", np.random.default_rng(0).integers(0, 255, (n, 28, 28)))
    write_idx(root / "mnist" / "t10k-labels-idx1-ubyte.gz", np.arange(n) % 10)


def test_mnist_and_binarised_mnist_are_refused(tmp_path):
    mnist_test_tree(tmp_path, 10)
    with pytest.raises(DataError, match="'mnist' and target 'mnist_binary' both hold samples of 'mnist'"):
        module(source="mnist", target="mnist_binary", data_root=str(tmp_path))


@pytest.mark.parametrize("mode, target_test", [("uda", 4), ("dg", 8)])
def test_mnist_test_digits_behind_mnist_m_test_images_leave_the_source(tmp_path, mode, target_test):
    mnist_test_tree(tmp_path, 10)  # MNIST test digits 0..9; MNIST-M test images 0..7 are built from digits 0..7
    mnist_m_tree(tmp_path, 8, 8)
    dm = module(source="mnist", target="mnist_m", data_root=str(tmp_path), mode=mode, target_test_fraction=0.5)
    test_origins = set(dm.splits["target_test"].origin.tolist())
    source_origins = set(dm.splits["source_train"].origin.tolist()) | set(dm.splits["source_val"].origin.tolist())
    assert len(test_origins) == target_test and len(source_origins) == 10 - target_test
    assert not test_origins & source_origins


def test_k_shot_that_would_label_a_whole_class_is_refused():
    # moons_rot35's unlabeled target split: 300 points, 150 per class
    kw = {"source": "moons", "target": "moons_rot35", "backbone": "mlp"}
    assert len(module(k_shot=149, **kw).splits["target_labeled"]) == 298
    with pytest.raises(DataError, match="k_shot=150 .* has 150; the largest valid k_shot is 149"):
        module(k_shot=150, **kw)


def test_feature_dimensions_that_differ_are_refused(tmp_path):
    feature_file(tmp_path, "office_caltech10_surf/amazon_SURF_L10.mat", "fts", 20, 8)
    feature_file(tmp_path, "office_caltech10_decaf6/webcam.mat", "feas", 20, 12)
    with pytest.raises(DataError, match="surf_amazon: 8-d features, decaf_webcam: 12-d features"):
        module(source="surf_amazon", target="decaf_webcam", backbone="mlp", data_root=str(tmp_path))


def test_center_fit_crops_mnist_m_onto_the_mnist_digit_and_pads_usps_with_black():
    x = torch.rand(2, 3, 32, 32)
    assert torch.equal(harmonise(x, 3, 28, "center"), (x[..., 2:30, 2:30] - 0.5) / 0.5)  # MNIST-M = MNIST padded by 2
    small = torch.rand(1, 1, 16, 16)
    padded = harmonise(small, 1, 28, "center")
    assert padded.shape == (1, 1, 28, 28) and torch.equal(padded[..., 6:22, 6:22], (small - 0.5) / 0.5)
    assert padded[..., :6, :].eq(-1).all() and padded[..., :, 22:].eq(-1).all()  # black border after (x - 0.5) / 0.5
    assert harmonise(x, 3, 28).shape == (2, 3, 28, 28) and not torch.equal(harmonise(x, 3, 28), harmonise(x, 3, 28, "center"))


def test_image_fit_reaches_the_splits():
    dm = module(source="mnist5k", target="mnistm_like", image_size=24, image_fit="center")
    assert dm.input_shape == (3, 24, 24)
    raw = module(source="mnist5k", target="mnistm_like", image_size=28)  # mnist5k is 28x28 already
    assert torch.equal(dm.splits["source_val"].x, raw.splits["source_val"].x[..., 2:26, 2:26])


def test_source_mean_pixel_norm_is_pixels_minus_the_source_train_channel_mean():
    half = module(image_size=28)
    mean = module(image_size=28, pixel_norm="source_mean")
    pixels = {name: half.splits[name].x * 0.5 + 0.5 for name in half.splits}  # back to [0, 1]
    channel_mean = pixels["source_train"].mean(dim=(0, 2, 3), keepdim=True)
    for name in half.splits:
        torch.testing.assert_close(mean.splits[name].x, pixels[name] - channel_mean)
    assert mean.splits["source_train"].x.mean(dim=(0, 2, 3)).abs().max() < 1e-5
    # the target keeps its own offset: MNIST-M-like images are brighter than MNIST on average
    assert mean.splits["target_unlabeled"].x.mean() > 0.1


def test_half_source_mean_is_the_same_subtraction_at_twice_the_scale():
    half = module(image_size=28)
    mean = module(image_size=28, pixel_norm="half_source_mean")
    pixels = {name: half.splits[name].x * 0.5 + 0.5 for name in half.splits}
    channel_mean = pixels["source_train"].mean(dim=(0, 2, 3), keepdim=True)
    for name in half.splits:
        torch.testing.assert_close(mean.splits[name].x, (pixels[name] - channel_mean) / 0.5)


def test_source_mean_image_subtracts_each_pixels_source_train_mean():
    half = module(image_size=28)
    image = module(image_size=28, pixel_norm="source_mean_image")
    pixels = {name: half.splits[name].x * 0.5 + 0.5 for name in half.splits}  # back to [0, 1]
    mean_image = pixels["source_train"].mean(dim=0, keepdim=True)
    for name in half.splits:
        torch.testing.assert_close(image.splits[name].x, pixels[name] - mean_image)
    assert image.splits["source_train"].x.mean(dim=0).abs().max() < 1e-5  # zero at every pixel, not just on average
    # an MNIST digit is bright in the centre and black at the border: the mean image is too
    assert mean_image[0, 0, 14, 14] > 0.3 and mean_image[0, 0, 0, 0] < 0.01
