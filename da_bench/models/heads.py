"""Heads over a shared feature extractor: bottleneck, classifier, domain discriminator."""

from __future__ import annotations

from torch import Tensor, nn


def bottleneck(in_dim: int, out_dim: int, dropout: float = 0.5) -> nn.Sequential:
    """Linear + batch norm + ReLU + dropout (TLlib's ``ImageClassifier`` bottleneck is Linear + BN + ReLU: ``dropout=0``)."""
    return nn.Sequential(nn.Linear(in_dim, out_dim), nn.BatchNorm1d(out_dim), nn.ReLU(inplace=True), nn.Dropout(dropout))


def mlp_classifier(in_dim: int, num_classes: int, hidden: tuple[int, ...] = ()) -> nn.Sequential:
    """Classifier head: optional hidden ReLU layers then a linear layer to the class logits.

    The DANN digits recipe uses ``hidden=(100, 100)`` (Ganin et al. 2016, Sec. 5.2).
    """
    layers: list[nn.Module] = []
    width = in_dim
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU(inplace=True)]
        width = h
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)


class DomainDiscriminator(nn.Module):
    """Binary domain classifier: ``depth`` hidden layers of ``width`` units, one logit out.

    With ``batch_norm`` each hidden layer is Linear-BN-ReLU (TLlib's 1024-1024 discriminator),
    otherwise Linear-ReLU-Dropout(``dropout``); the DANN paper's digit discriminator (JMLR 2016, Sec. 5.2) is
    width 100, depth 1, without batch norm or dropout.
    """

    def __init__(self, in_dim: int, width: int = 1024, depth: int = 2, batch_norm: bool = True, dropout: float = 0.5) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        d = in_dim
        for _ in range(depth):
            layers.append(nn.Linear(d, width))
            layers += [nn.BatchNorm1d(width), nn.ReLU(inplace=True)] if batch_norm else [nn.ReLU(inplace=True)] + ([nn.Dropout(dropout)] if dropout else [])
            d = width
        layers.append(nn.Linear(d, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).squeeze(-1)
