"""Image domains become features of a frozen backbone in eval mode, with the deep runs' image reconciliation."""

from __future__ import annotations

import torch

from da_bench.classic.extract import backbone_features
from da_bench.config import from_dict
from da_bench.data.domains import Split


def test_frozen_features_are_deterministic_and_channel_reconciled():
    cfg = from_dict({"method": "no_adapt", "source": "sklearn_digits", "target": "mnistm_like", "backbone": "lenet"})
    g = torch.Generator().manual_seed(0)
    grey = torch.rand(12, 1, 28, 28, generator=g)
    colour = Split(torch.rand(5, 3, 28, 28, generator=g), torch.zeros(5, dtype=torch.long))
    first = backbone_features(cfg, [Split(grey, torch.zeros(12, dtype=torch.long)), colour])
    again = backbone_features(cfg, [Split(grey.expand(-1, 3, -1, -1), torch.zeros(12, dtype=torch.long)), colour])
    assert first[0].shape == (12, 500) and first[1].shape == (5, 500)
    assert (first[0] == again[0]).all()  # seeded weights, grey replicated to 3 channels, lenet's dropout off in eval mode
