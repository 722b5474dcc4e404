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
