"""weight_init: Glorot & Bengio's uniform initialisation (AISTATS 2010, Eq. 16) on every layer built from scratch."""

import math

import torch
from torch import nn

from da_bench.config import from_dict
from da_bench.methods import build_method
from da_bench.models.init import initialise

TOY = {"source": "moons", "target": "moons_rot35", "backbone": "mlp", "head_hidden": [], "method": "dann"}


def test_xavier_draws_weights_with_glorots_bound_and_variance_and_zero_biases():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 32, 5), nn.Linear(300, 100))
    initialise(net, "xavier")
    conv, linear = net
    # by hand: conv fan_in = 3 * 5 * 5 = 75, fan_out = 32 * 5 * 5 = 800; linear 300 and 100
    for layer, fan_in, fan_out in [(conv, 75, 800), (linear, 300, 100)]:
        bound = math.sqrt(6 / (fan_in + fan_out))
        w = layer.weight.detach()
        assert w.abs().max() <= bound and w.abs().max() > 0.95 * bound
        assert abs(w.var().item() / (2 / (fan_in + fan_out)) - 1) < 0.05  # U(-a, a) has variance a^2 / 3
        assert torch.count_nonzero(layer.bias) == 0


def test_default_leaves_pytorchs_initialisation_and_keep_protects_a_part():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4))
    before = {k: v.clone() for k, v in net.state_dict().items()}
    initialise(net, "default")
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    initialise(net, "xavier", keep=[net[0]])
    assert torch.equal(net[0].weight, before["0.weight"]) and torch.equal(net[0].bias, before["0.bias"])
    assert not torch.equal(net[1].weight, before["1.weight"]) and torch.count_nonzero(net[1].bias) == 0


def test_a_method_initialises_backbone_heads_and_discriminator():
    torch.manual_seed(0)
    default = build_method(from_dict(TOY), (2,), 2)
    torch.manual_seed(0)
    xavier = build_method(from_dict({**TOY, "weight_init": "xavier"}), (2,), 2)
    linears = [m for m in xavier.modules() if isinstance(m, nn.Linear)]
    assert len(linears) == len([m for m in default.modules() if isinstance(m, nn.Linear)]) >= 3  # backbone, head, discriminator
    assert all(torch.count_nonzero(m.bias) == 0 for m in linears)
    assert all(torch.count_nonzero(m.bias) > 0 for m in default.modules() if isinstance(m, nn.Linear))
    assert any("adaptation" in name for name, m in xavier.named_modules() if isinstance(m, nn.Linear))
