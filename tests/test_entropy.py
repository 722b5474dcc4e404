import math

import pytest
import torch
from helpers import step_outputs

from da_bench.losses.entropy import EntropyLoss, prediction_entropy


def test_entropy_closed_forms():
    uniform, one_hot = torch.full((1, 5), 0.2), torch.eye(5)[:1]
    assert float(prediction_entropy(uniform)) == pytest.approx(math.log(5))
    assert float(prediction_entropy(one_hot)) == pytest.approx(0.0, abs=1e-6)


def test_entropy_loss_uses_only_the_target_and_sharpens_it():
    out = step_outputs()
    loss = EntropyLoss(16, 4)(out)
    loss.backward()
    assert out.source_logits.grad is None and out.target_features.grad is None
    with torch.no_grad():  # a small step against the gradient lowers the target entropy
        sharper = out.target_logits - 0.1 * out.target_logits.grad
    assert float(prediction_entropy(torch.softmax(sharper, 1)).mean()) < float(loss)
