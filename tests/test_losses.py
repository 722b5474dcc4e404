"""The loss interface (da_bench/losses/base.py): the joint discriminator pass, bf16 autocast against
float32 for every registered loss, and the shared domain BCE."""

import math

import pytest
import torch
from helpers import step_outputs

from da_bench.losses import AdaptationLoss, StepOutputs
from da_bench.losses.base import LossOutputError, discriminate, domain_bce, probe
from da_bench.registry import LOSSES

ADVERSARIAL = ["dann", "cdan", "cdan_e", "confusion"]


def shifted_by_three(n: int = 64, seed: int = 0) -> StepOutputs:
    """Target = source + 3 on the first axis: separable by the mean alone, with the same variance."""
    g = torch.Generator().manual_seed(seed)
    source = torch.randn(n, 8, generator=g)
    target = source + torch.tensor([3.0] + [0.0] * 7)
    logits = torch.zeros(n, 4)  # uniform predictions: CDAN's map keeps the shift
    return StepOutputs(source, target, logits, logits, torch.zeros(n, dtype=torch.long), progress=1.0)


def discriminator_objective(loss: AdaptationLoss, out: StepOutputs) -> torch.Tensor:
    """The domain BCE the discriminator itself minimises (confusion trains it in a separate step)."""
    return loss.adversary_loss(out) if loss.alternating else loss(out)


@pytest.mark.parametrize("name", ADVERSARIAL)
def test_default_discriminator_separates_a_mean_shift(name):
    """With batch norm on (the default), separate passes per domain normalise the shift away and the
    discriminator stays at chance, ln 2 = 0.693; one joint pass lets it separate the domains."""
    torch.manual_seed(0)
    loss = LOSSES.get(name)(feature_dim=8, num_classes=4)
    opt = torch.optim.Adam(loss.parameters(), lr=1e-2)
    out = shifted_by_three()
    for _ in range(100):
        opt.zero_grad()
        value = discriminator_objective(loss, out)
        value.backward()
        opt.step()
    assert float(discriminator_objective(loss, out)) < 0.3


def test_discriminate_is_one_pass_split_back():
    calls = []

    def disc(x):
        calls.append(x.shape[0])
        return x.sum(1)

    s, t = torch.ones(3, 2), torch.zeros(5, 2)
    d_s, d_t = discriminate(disc, s, t)
    assert calls == [8] and d_s.tolist() == [2.0] * 3 and d_t.tolist() == [0.0] * 5


@pytest.mark.parametrize("name", LOSSES.names())
def test_every_loss_under_bf16_autocast_matches_float32(name):
    torch.manual_seed(0)
    loss = LOSSES.get(name)(feature_dim=16, num_classes=4)
    exact = loss(step_outputs())
    out = step_outputs()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        value = loss(out)
    assert value.ndim == 0
    assert float(value) == pytest.approx(float(exact), rel=0.05, abs=0.02)
    value.float().backward()
    inputs = (out.source_features, out.target_features, out.source_logits, out.target_logits)
    grads = [t.grad for t in inputs if t.grad is not None]
    assert grads, f"{name} gives no gradient to the network outputs"
    assert all(torch.isfinite(g).all() for g in grads)


def test_domain_bce_labels_source_one_target_zero():
    big = torch.full((4,), 20.0)
    assert float(domain_bce(big, -big)) < 1e-6  # confident and right
    assert float(domain_bce(-big, big)) > 10  # confident and wrong
    zero = torch.zeros(4)
    assert float(domain_bce(zero, zero)) == pytest.approx(math.log(2))


def test_unknown_hyperparameter_is_refused():
    with pytest.raises(TypeError, match="takes no hyperparameters"):
        AdaptationLoss(16, 4, bandwidth=2.0)


class VectorLoss(AdaptationLoss):
    """Forgets to reduce: a per-example vector."""

    def forward(self, out):
        return (out.source_features - out.target_features).pow(2).sum(1)


class FloatLoss(AdaptationLoss):
    """Returns a Python float: no gradient reaches the network."""

    def forward(self, out):
        return 0.5


class CrashingLoss(AdaptationLoss):
    """A bug in the plugin."""

    def forward(self, out):
        return out.source_features @ out.source_features  # shapes do not multiply


@pytest.mark.parametrize(
    "cls,fragment",
    [(VectorLoss, "returned a tensor of shape (4,)"), (FloatLoss, "returned a float"), (CrashingLoss, "failed on a test batch at set-up (RuntimeError")],
)
def test_probe_refuses_a_loss_that_is_not_a_scalar_tensor(cls, fragment):
    with pytest.raises(LossOutputError) as err:
        probe("plugin", cls(8, 3), num_classes=3)
    assert fragment in str(err.value) and "'plugin'" in str(err.value)


def test_probe_leaves_rng_and_batch_norm_statistics_alone():
    loss = LOSSES.get("dann")(feature_dim=8, num_classes=3)
    stats = loss.discriminator.net[1].running_mean.clone()
    torch.manual_seed(7)
    probe("dann", loss, num_classes=3)
    after_probe = torch.rand(1)
    torch.manual_seed(7)
    assert torch.equal(torch.rand(1), after_probe)
    assert torch.equal(loss.discriminator.net[1].running_mean, stats) and loss.training
