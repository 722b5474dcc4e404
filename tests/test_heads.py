import torch
from torch import nn

from da_bench.models.heads import DomainDiscriminator, bottleneck, mlp_classifier


def test_dann_paper_digit_discriminator_shape():
    disc = DomainDiscriminator(768, width=100, depth=1, batch_norm=False)
    linears = [m for m in disc.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(768, 100), (100, 1)]
    assert any(isinstance(m, nn.Dropout) for m in disc.modules()) and not any(isinstance(m, nn.BatchNorm1d) for m in disc.modules())
    paper = DomainDiscriminator(768, width=100, depth=1, batch_norm=False, dropout=0.0)  # FC 100, ReLU, FC 1: no dropout
    assert [type(m) for m in paper.net] == [nn.Linear, nn.ReLU, nn.Linear]
    assert disc(torch.randn(5, 768)).shape == (5,)


def test_tllib_discriminator_has_batch_norm():
    disc = DomainDiscriminator(256)
    assert sum(isinstance(m, nn.BatchNorm1d) for m in disc.modules()) == 2
    assert disc(torch.randn(4, 256)).shape == (4,)


def test_classifier_and_bottleneck_widths():
    head = mlp_classifier(768, 10, hidden=(100, 100))
    assert [(m.in_features, m.out_features) for m in head if isinstance(m, nn.Linear)] == [(768, 100), (100, 100), (100, 10)]
    assert mlp_classifier(8, 3)(torch.randn(2, 8)).shape == (2, 3)
    assert bottleneck(2048, 256)(torch.randn(4, 2048)).shape == (4, 256)


def test_bottleneck_dropout_is_configurable_and_zero_gives_tllibs_linear_bn_relu():
    from da_bench.config import from_dict
    from da_bench.methods import build_method

    def dropouts(**kw):
        cfg = from_dict({"source": "moons", "target": "moons_rot35", "backbone": "mlp", "bottleneck_dim": 8, **kw})
        return [m.p for m in build_method(cfg, (2,), 2).bottleneck.modules() if isinstance(m, nn.Dropout)]

    assert dropouts() == [0.5]
    assert dropouts(bottleneck_dropout=0.0) == [0.0]
