"""The training stream's index draws and the evaluation batch wrappers (the paired stream itself, which needs a data
module, is tested in test_datamodule.py)."""

import torch
from torch.utils.data import DataLoader, TensorDataset

from da_bench.data.batches import Batches, class_balance_weights, images_only, index_stream


def test_index_stream_is_whole_permutations_back_to_back():
    g = torch.Generator().manual_seed(0)
    idx = index_stream(5, 12, g)
    assert len(idx) == 12
    assert sorted(idx[:5].tolist()) == list(range(5)) and sorted(idx[5:10].tolist()) == list(range(5))  # each epoch sees every sample once
    assert set(idx[10:].tolist()) <= set(range(5)) and len(set(idx[10:].tolist())) == 2


def test_index_stream_depends_on_the_generator_alone():
    first, again = (index_stream(50, 120, torch.Generator().manual_seed(3)) for _ in range(2))
    assert torch.equal(first, again)
    assert not torch.equal(first, index_stream(50, 120, torch.Generator().manual_seed(4)))


def test_class_balance_weights_make_each_class_equally_likely():
    y = torch.tensor([0, 0, 0, 1, 2, 2])
    # by hand: class 0 has 3 samples (1/3 each), class 1 one (1), class 2 two (1/2 each); every class sums to 1
    assert torch.allclose(class_balance_weights(y), torch.tensor([1 / 3, 1 / 3, 1 / 3, 1.0, 0.5, 0.5]))
    draws = index_stream(6, 30_000, torch.Generator().manual_seed(0), class_balance_weights(y))
    share = torch.bincount(y[draws], minlength=3).float() / len(draws)
    assert torch.allclose(share, torch.full((3,), 1 / 3), atol=0.01)


def test_batches_are_one_iterable_and_images_only_drops_labels():
    batches = Batches([torch.zeros(2), torch.ones(2)])
    assert len(batches) == 2 and [b.sum().item() for b in batches] == [0.0, 2.0]
    loader = DataLoader(TensorDataset(torch.arange(6.0).view(6, 1), torch.arange(6)), batch_size=4)
    images = list(images_only(loader))
    assert len(images_only(loader)) == 2 and [x.view(-1).tolist() for x in images] == [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0]]
