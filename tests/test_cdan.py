import torch

from da_bench.losses.cdan import CDANELoss, CDANLoss, MultilinearMap
from da_bench.losses.entropy import prediction_entropy
from helpers import step_outputs


def test_multilinear_map_exact_and_randomized():
    f, g = torch.randn(3, 5), torch.softmax(torch.randn(3, 4), 1)
    exact = MultilinearMap(5, 4, randomized_threshold=4096)
    assert not exact.randomized and exact(f, g).shape == (3, 20)
    assert torch.allclose(exact(f, g)[1].view(4, 5), torch.outer(g[1], f[1]))
    randomized = MultilinearMap(5, 4, randomized_threshold=10, randomized_dim=64)
    assert randomized.randomized and randomized(f, g).shape == (3, 64)
    assert torch.allclose(randomized(f, g), (f @ randomized.r_f) * (g @ randomized.r_g) / 8.0)


def per_example_bce(loss: CDANLoss, out) -> torch.Tensor:
    d_s, _ = loss._conditioned(out.source_features, out.source_logits, 1.0)
    d_t, _ = loss._conditioned(out.target_features, out.target_logits, 1.0)
    labels = torch.cat([torch.ones_like(d_s), torch.zeros_like(d_t)])
    return torch.nn.functional.binary_cross_entropy_with_logits(torch.cat([d_s, d_t]), labels, reduction="none")


def test_cdan_e_is_the_entropy_weighted_cdan_loss():
    cdan, cdan_e = CDANLoss(16, 4, width=8, depth=1, batch_norm=False).eval(), CDANELoss(16, 4, width=8, depth=1, batch_norm=False).eval()
    cdan_e.load_state_dict(cdan.state_dict())
    out = step_outputs()
    bce = per_example_bce(cdan, out).detach()
    probs = torch.softmax(torch.cat([out.source_logits, out.target_logits]), 1).detach()
    w = 1 + torch.exp(-prediction_entropy(probs))  # Eq. 8, normalised to mean 1 over the batch
    w = w / w.mean()
    assert torch.allclose(cdan(out), bce.mean(), atol=1e-6)
    assert torch.allclose(cdan_e(out), (w * bce).mean(), atol=1e-6)
    assert not torch.allclose(cdan_e(out), cdan(out))
