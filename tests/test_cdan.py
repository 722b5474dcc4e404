"""CDAN / CDAN+E (Long et al., NeurIPS 2018) against a reference written from the paper and TLlib's
ConditionalDomainAdversarialLoss: h = g (x) f on the joint batch, BCE, and the Eq. 8 entropy weights."""

import torch
import torch.nn.functional as F
from helpers import step_outputs

from da_bench.losses.cdan import CDANELoss, CDANLoss, MultilinearMap


def test_multilinear_map_exact_and_randomized():
    f, g = torch.randn(3, 5), torch.softmax(torch.randn(3, 4), 1)
    exact = MultilinearMap(5, 4, randomized_threshold=4096)
    assert not exact.randomized and exact(f, g).shape == (3, 20)
    assert torch.allclose(exact(f, g)[1].view(4, 5), torch.outer(g[1], f[1]))
    randomized = MultilinearMap(5, 4, randomized_threshold=10, randomized_dim=64)
    assert randomized.randomized and randomized(f, g).shape == (3, 64)
    assert torch.allclose(randomized(f, g), (f @ randomized.r_f) * (g @ randomized.r_g) / 8.0)


def reference_bce(loss: CDANLoss, out, entropy_weighted: bool) -> torch.Tensor:
    """TLlib's formula: outer products g_i f_i^T for all 2n examples, one discriminator pass, BCE
    with source = 1, target = 0; CDAN+E weights w = 1 + exp(-H(g)) scaled to sum to the batch size."""
    f = torch.cat([out.source_features, out.target_features])
    g = torch.softmax(torch.cat([out.source_logits, out.target_logits]), 1).detach()
    h = torch.stack([torch.outer(g[i], f[i]).flatten() for i in range(len(f))])
    d = loss.discriminator(h)
    labels = torch.cat([torch.ones(len(out.source_features)), torch.zeros(len(out.target_features))])
    weight = None
    if entropy_weighted:
        entropy = -(g * torch.log(g)).sum(1)
        w = 1.0 + torch.exp(-entropy)
        weight = w / w.sum() * len(w)
    return F.binary_cross_entropy_with_logits(d, labels, weight=weight)


def test_cdan_and_cdan_e_match_the_reference_on_the_joint_batch():
    torch.manual_seed(0)
    cdan = CDANLoss(16, 4, width=8, depth=1)  # batch norm on: the joint pass matters
    cdan_e = CDANELoss(16, 4, width=8, depth=1)
    cdan_e.load_state_dict(cdan.state_dict())
    out = step_outputs()
    assert torch.allclose(cdan(out), reference_bce(cdan, out, False), atol=1e-6)
    assert torch.allclose(cdan_e(out), reference_bce(cdan, out, True), atol=1e-6)
    assert abs(float(cdan_e(out)) - float(cdan(out))) > 1e-5  # the weights change the loss


def test_cdan_gradient_into_features_is_reversed_and_scaled_by_lambda():
    """Through the gradient reversal layer the features get -lambda times the discriminator's gradient."""
    torch.manual_seed(0)
    loss = CDANLoss(16, 4, width=8, depth=1, grl_schedule="constant", grl_max=0.5)
    out, plain = step_outputs(), step_outputs()
    loss(out).backward()
    reference_bce(loss, plain, False).backward()
    assert torch.allclose(out.source_features.grad, -0.5 * plain.source_features.grad, atol=1e-6)
    assert torch.allclose(out.target_features.grad, -0.5 * plain.target_features.grad, atol=1e-6)
    assert out.source_logits.grad is None  # predictions only condition the discriminator (detached)
