import torch

from da_bench.models.grl import GradientReversal, reverse_gradient


def test_identity_forward_and_reversed_scaled_gradient():
    x = torch.randn(5, 3, requires_grad=True)
    y = reverse_gradient(x, 0.7)
    assert torch.equal(y, x)
    upstream = torch.randn(5, 3)
    y.backward(upstream)
    assert torch.allclose(x.grad, -0.7 * upstream)


def test_module_coefficient_is_settable():
    layer = GradientReversal(2.0)
    x = torch.ones(4, requires_grad=True)
    layer(x).sum().backward()
    assert torch.allclose(x.grad, torch.full((4,), -2.0))
