import numpy as np
import pytest
import torch

from da_bench.config import from_dict
from da_bench.data.datamodule import PairedDataModule
from da_bench.data.domains import DataError


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
    # the full MNIST: the source draws from the 60,000 training digits, MNIST-M's test images from the test digits
    assert len(dm.splits["source_train"]) + len(dm.splits["source_val"]) == 60000
    assert min(test_origins) >= 10**6 and len(test_origins) == 4500
