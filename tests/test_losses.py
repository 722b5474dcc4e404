"""Every registered loss: finite values and gradients under bf16 autocast on CPU, and the CDAN /
confusion specifics."""
import pytest
import torch

from da_bench.losses import StepOutputs
from da_bench.losses.cdan import MultilinearMap
from da_bench.losses.dann import DANNLoss
from da_bench.registry import LOSSES


def outputs(features: int = 16, classes: int = 4, n: int = 8, seed: int = 0) -> StepOutputs:
    g = torch.Generator().manual_seed(seed)
    fs = torch.randn(n, features, generator=g, requires_grad=True)
    ft = (torch.randn(n, features, generator=g) + 0.5).requires_grad_()
    ls = torch.randn(n, classes, generator=g, requires_grad=True)
    lt = torch.randn(n, classes, generator=g, requires_grad=True)
    return StepOutputs(fs, ft, ls, lt, torch.randint(0, classes, (n,), generator=g), progress=0.5)


@pytest.mark.parametrize("name", LOSSES.names())
def test_every_loss_finite_under_bf16_autocast(name):
    loss = LOSSES.get(name)(feature_dim=16, num_classes=4)
    out = outputs()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        value = loss(out)
    assert value.ndim == 0 and torch.isfinite(value)
    value.float().backward()
    inputs = (out.source_features, out.target_features, out.source_logits, out.target_logits)
    grads = [t.grad for t in inputs if t.grad is not None]
    assert grads, f"{name} gives no gradient to the network outputs"
    assert all(torch.isfinite(g).all() for g in grads)


def test_dann_reverses_gradient_into_features():
    torch.manual_seed(0)
    loss = DANNLoss(16, 4, width=8, depth=1, batch_norm=False, grl_schedule="constant").eval()  # no dropout
    out = outputs()
    loss(out).backward()
    disc_grad = out.source_features.grad.clone()
    # without reversal the gradient into the features flips sign
    out2 = outputs()
    from da_bench.losses.base import domain_bce

    domain_bce(loss.discriminator(out2.source_features), loss.discriminator(out2.target_features)).backward()
    assert torch.allclose(disc_grad, -out2.source_features.grad, atol=1e-6)


def test_multilinear_map_exact_and_randomized():
    f, g = torch.randn(3, 5), torch.softmax(torch.randn(3, 4), 1)
    exact = MultilinearMap(5, 4, randomized_threshold=4096)
    assert not exact.randomized and exact(f, g).shape == (3, 20)
    assert torch.allclose(exact(f, g)[1].view(4, 5), torch.outer(g[1], f[1]))
    randomized = MultilinearMap(5, 4, randomized_threshold=10, randomized_dim=64)
    assert randomized.randomized and randomized(f, g).shape == (3, 64)


def test_cdan_e_weights_confident_examples_more():
    cdan_e = LOSSES.get("cdan_e")(feature_dim=16, num_classes=4)
    assert cdan_e.entropy_conditioning and not LOSSES.get("cdan")(feature_dim=16, num_classes=4).entropy_conditioning


def test_confusion_adversary_loss_does_not_touch_features():
    loss = LOSSES.get("confusion")(feature_dim=16, num_classes=4)
    out = outputs()
    loss.adversary_loss(out).backward()
    assert out.source_features.grad is None
    assert all(p.grad is not None for p in loss.adversary_parameters())


def test_confusion_is_minimal_at_uniform_prediction():
    import math

    from da_bench.losses.base import domain_bce

    zero = torch.zeros(4)
    assert float(domain_bce(zero, zero, target_value=0.5)) == pytest.approx(math.log(2))
    assert float(domain_bce(zero + 3, zero - 3, target_value=0.5)) > math.log(2)
