import torch

from da_bench.losses.coral import coral, covariance


def test_covariance_matches_torch():
    x = torch.randn(20, 4)
    assert torch.allclose(covariance(x), torch.cov(x.T), atol=1e-6)


def test_closed_form_hand_example():
    # source: points (+-1, 0) -> cov [[4/3, 0], [0, 0]]; target: (0, +-1) -> cov [[0, 0], [0, 4/3]]
    s = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [1.0, 0.0], [-1.0, 0.0]])
    t = torch.tensor([[0.0, 1.0], [0.0, -1.0], [0.0, 1.0], [0.0, -1.0]])
    expected = (2 * (4 / 3) ** 2) / (4 * 2 * 2)  # ||C_s - C_t||_F^2 / (4 d^2)
    assert torch.allclose(coral(s, t), torch.tensor(expected))
    assert float(coral(s, s)) == 0.0


def test_coral_gradient_shrinks_the_wider_target_spread():
    """Target = 3 x source: descent moves each target point toward the target mean (its covariance
    shrinks toward the source's) and each source point away from the source mean."""
    g = torch.Generator().manual_seed(0)
    base = torch.randn(40, 3, generator=g)
    source, target = base.clone().requires_grad_(), (3 * base).requires_grad_()
    coral(source, target).backward()
    t_centred, s_centred = target.detach() - target.detach().mean(0), source.detach() - source.detach().mean(0)
    assert (-target.grad * t_centred).sum() < 0  # inward
    assert (-source.grad * s_centred).sum() > 0  # outward
