import itertools

import torch

from da_bench.losses.mmd import DEFAULT_EXPONENTS, mmd2


def naive_kernel(a, b, beta, exponents=DEFAULT_EXPONENTS):
    d = float(((a - b) ** 2).sum())
    return sum(torch.exp(torch.tensor(-d / (2 * beta * 2.0**u))) for u in exponents)


def naive_quadratic(x, y):
    z = torch.cat([x, y])
    n = len(z)
    beta = sum(float(((z[i] - z[j]) ** 2).sum()) for i in range(n) for j in range(n)) / n**2
    m, k = len(x), len(y)
    xx = sum(naive_kernel(x[i], x[j], beta) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(naive_kernel(y[i], y[j], beta) for i in range(k) for j in range(k) if i != j) / (k * (k - 1))
    xy = sum(naive_kernel(x[i], y[j], beta) for i, j in itertools.product(range(m), range(k))) / (m * k)
    return xx + yy - 2 * xy


def naive_linear(x, y):
    pairs = [(x[2 * i], x[2 * i + 1], y[2 * i], y[2 * i + 1]) for i in range(len(x) // 2)]
    dists = [float(((a - b) ** 2).sum()) for x1, x2, y1, y2 in pairs for a, b in ((x1, x2), (y1, y2), (x1, y2), (x2, y1))]
    beta = sum(dists) / len(dists)
    h = [naive_kernel(x1, x2, beta) + naive_kernel(y1, y2, beta) - naive_kernel(x1, y2, beta) - naive_kernel(x2, y1, beta) for x1, x2, y1, y2 in pairs]
    return sum(h) / len(h)


def test_matches_naive_reference_on_small_inputs():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(6, 3, generator=g), torch.randn(6, 3, generator=g) + 0.5
    assert torch.allclose(mmd2([(x, y)], "quadratic"), torch.as_tensor(naive_quadratic(x, y)).float(), atol=1e-5)
    assert torch.allclose(mmd2([(x, y)], "linear"), torch.as_tensor(naive_linear(x, y)).float(), atol=1e-5)


def test_near_zero_same_distribution_and_positive_when_shifted():
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(256, 8, generator=g), torch.randn(256, 8, generator=g)
    shifted = torch.randn(256, 8, generator=g) + 1.0
    same, diff = mmd2([(x, y)]), mmd2([(x, shifted)])
    assert abs(float(same)) < 0.02
    assert float(diff) > 0.3
    assert float(diff) > 20 * abs(float(same))


def test_linear_and_quadratic_agree_in_expectation():
    g = torch.Generator().manual_seed(2)
    quad, lin = [], []
    for _ in range(300):
        x, y = torch.randn(32, 4, generator=g), torch.randn(32, 4, generator=g) + 0.4
        quad.append(float(mmd2([(x, y)], "quadratic")))
        lin.append(float(mmd2([(x, y)], "linear")))
    q, l_ = torch.tensor(quad), torch.tensor(lin)
    stderr = float((q.var() / len(q) + l_.var() / len(l_)).sqrt())
    assert abs(float(q.mean() - l_.mean())) < 4 * stderr
    assert float(q.mean()) > 0.05  # the shift is detected by both


def test_joint_kernel_is_product_of_layer_kernels():
    g = torch.Generator().manual_seed(3)
    x, y = torch.randn(8, 3, generator=g), torch.randn(8, 3, generator=g)
    p, q = torch.rand(8, 2, generator=g), torch.rand(8, 2, generator=g)
    joint = mmd2([(x, y), (p, q)], sigmas=[None, 1e6])  # a huge bandwidth makes the second kernel ~1
    assert torch.allclose(joint, mmd2([(x, y)]), atol=1e-4)


def test_gradient_finite_with_identical_points():
    x = torch.randn(8, 4)
    x[1] = x[0]
    x.requires_grad_()
    y = torch.randn(8, 4, requires_grad=True)
    mmd2([(x, y)]).backward()
    assert torch.isfinite(x.grad).all() and torch.isfinite(y.grad).all()


def shifted_pair(seed: int = 0, n: int = 32):
    g = torch.Generator().manual_seed(seed)
    source = torch.randn(n, 4, generator=g).requires_grad_()
    target = (torch.randn(n, 4, generator=g) + torch.tensor([2.0, 0.0, 0.0, 0.0])).requires_grad_()
    return source, target


def test_mmd_gradient_pulls_the_domains_together_along_the_shift():
    """Target shifted by +2 on the first axis: descent moves the target's mean back (-x) and the
    source's forward (+x); the other axes get a much smaller net push."""
    for estimator in ("quadratic", "linear"):
        source, target = shifted_pair()
        mmd2([(source, target)], estimator).backward()
        t_push, s_push = -target.grad.sum(0), -source.grad.sum(0)
        assert t_push[0] < 0 < s_push[0], estimator
        assert t_push[0].abs() > 3 * t_push[1:].abs().max(), estimator


def test_jmmd_gradient_pulls_the_features_together():
    from da_bench.losses import StepOutputs
    from da_bench.losses.mmd import JMMDLoss

    source, target = shifted_pair()
    logits = torch.zeros(32, 3, requires_grad=True)
    JMMDLoss(4, 3)(StepOutputs(source, target, logits, logits, torch.zeros(32, dtype=torch.long))).backward()
    assert -target.grad.sum(0)[0] < 0 < -source.grad.sum(0)[0]
