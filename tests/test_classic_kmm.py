"""KMM (Huang et al. 2006, Eq. 6-7): projection and solver against scipy's SLSQP, and a shift it corrects."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from da_bench.classic.kernels import kernel
from da_bench.classic.kmm import KMM, project_box_slab, solve_kmm


def slsqp(objective, x0, upper, lo, hi):
    cons = [{"type": "ineq", "fun": lambda b: b.sum() - lo}, {"type": "ineq", "fun": lambda b: hi - b.sum()}]
    return minimize(objective, x0, method="SLSQP", bounds=[(0, upper)] * len(x0), constraints=cons, options={"ftol": 1e-12, "maxiter": 500}).x


def test_projection_is_the_nearest_feasible_point():
    v = np.array([3.0, -1.0, 0.5, 2.0, 0.2])
    for lo, hi in ((1.0, 2.0), (4.0, 4.5), (0.0, 10.0)):
        ours = project_box_slab(v, 2.5, lo, hi)
        reference = slsqp(lambda b: np.sum((b - v) ** 2), np.full(5, 0.5), 2.5, lo, hi)
        assert np.allclose(ours, reference, atol=1e-5)


def test_solver_reaches_the_quadratic_programme_optimum():
    rng = np.random.default_rng(0)
    xs, xt = rng.normal(size=(25, 2)), rng.normal(size=(30, 2)) + 0.7
    K = kernel("rbf", xs, gamma=0.5) + 1e-6 * np.eye(25)
    kappa = 25 / 30 * kernel("rbf", xs, xt, 0.5).sum(1)
    eps = (np.sqrt(25) - 1) / np.sqrt(25)
    ours = solve_kmm(K, kappa, 5.0, eps, iterations=20000, tol=1e-12)
    reference = slsqp(lambda b: 0.5 * b @ K @ b - kappa @ b, np.ones(25), 5.0, 25 * (1 - eps), 25 * (1 + eps))
    objective = lambda b: 0.5 * b @ K @ b - kappa @ b  # noqa: E731
    assert objective(ours) <= objective(reference) + 1e-6
    assert np.allclose(ours, reference, atol=1e-2)


def test_weights_favour_source_samples_where_the_target_lies():
    rng = np.random.default_rng(1)
    xs = rng.normal(size=(200, 1))
    xt = rng.normal(loc=1.0, scale=0.5, size=(200, 1))
    w = KMM(gamma=1.0).fit(xs, (xs[:, 0] > 0).astype(int), xt, None).sample_weight_
    near, far = np.abs(xs[:, 0] - 1.0) < 0.5, xs[:, 0] < -1.0
    assert w[near].mean() > 2 * w[far].mean()
