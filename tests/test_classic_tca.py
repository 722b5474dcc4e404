"""TCA / JDA / PCA against the papers' equations with explicit n x n matrices, a 4-point case by hand, and JDA's Table 3."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from da_bench.classic.tca import JDA, PCA, TCA, conditional_columns, marginal_column, unit_rows


def projector(V: np.ndarray) -> np.ndarray:
    Q, _ = np.linalg.qr(V)
    return Q @ Q.T


def test_four_points_by_hand():
    # source (1,0), (0,1); target (-1,0), (0,-1): the means differ along (1,1), so the one TCA component is (1,-1)
    xs, xt = np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[-1.0, 0.0], [0.0, -1.0]])
    tca = TCA(dim=1, lam=1.0).fit(xs, [0, 1], xt)
    # X^T e = (1, 1), ||e e^T||_F = 1, X^T H X = 2 I: (ee^T-term + I) v = phi 2 v has phi = 0.5 along (1,-1), 1.5 along (1,1)
    assert np.allclose(np.abs(tca.components_[:, 0]), [2**-0.5, 2**-0.5])
    assert tca.components_[0, 0] * tca.components_[1, 0] < 0


def explicit_problem(X: np.ndarray, M: np.ndarray, lam: float, kernel: bool):
    """Long et al.'s JDA.m with n x n matrices: X is d x n (columns L2-normalised)."""
    n = X.shape[1]
    H = np.eye(n) - np.ones((n, n)) / n
    M = M / np.linalg.norm(M, "fro")
    F = X.T @ X if kernel else X  # K = X^T X for the linear kernel
    return F @ M @ F.T + lam * np.eye(F.shape[0]), F @ H @ F.T


@pytest.mark.parametrize("kernel", ["primal", "linear"])
def test_tca_solves_the_generalised_eigenproblem(kernel):
    rng = np.random.default_rng(0)
    xs, xt = rng.normal(size=(12, 5)), rng.normal(size=(9, 5)) + 0.5
    ys = np.arange(12) % 3
    tca = TCA(dim=2, lam=0.5, kernel=kernel).fit(xs, ys, xt)
    X = unit_rows(np.vstack([xs, xt])).T
    e = marginal_column(12, 9)
    A, B = explicit_problem(X, np.outer(e, e), 0.5, kernel == "linear")
    phi, V = scipy.linalg.eig(A, B)  # QZ on the whole pencil; B may be singular (infinite phi)
    keep = np.isfinite(phi)
    order = np.argsort(np.abs(phi[keep]))[:2]
    expected = np.real(V[:, keep][:, order])
    assert np.allclose(projector(tca.components_), projector(expected), atol=1e-6)
    assert np.allclose(np.linalg.norm(tca.components_, axis=0), 1.0)  # MATLAB eigs: unit 2-norm


def test_conditional_mmd_matrix_follows_eq5():
    ys = np.array([0, 0, 1, 2])
    pseudo = np.array([1, 1, 0])  # no target sample predicted as class 2
    E = conditional_columns(ys, pseudo, np.array([0, 1, 2]))
    ns, n = 4, 7
    M = np.zeros((n, n))
    for c in range(3):  # JDA.m: e(Ys==c) = 1/ns_c; e(ns+find(Yt==c)) = -1/nt_c; e(isinf(e)) = 0
        e = np.zeros(n)
        e[:ns][ys == c] = 1 / (ys == c).sum()
        with np.errstate(divide="ignore"):
            e[ns:][pseudo == c] = -1 / (pseudo == c).sum()
        e[np.isinf(e)] = 0
        M += np.outer(e, e)
    assert np.allclose(E @ E.T, M)


def test_jda_reduces_to_tca_and_pca():
    rng = np.random.default_rng(1)
    xs, xt = rng.normal(size=(30, 6)), rng.normal(size=(20, 6)) + 1.0
    ys = np.arange(30) % 3
    tca = TCA(dim=3, lam=2.0).fit(xs, ys, xt)
    assert np.allclose(projector(JDA(dim=3, lam=2.0, iterations=1).fit(xs, ys, xt).components_), projector(tca.components_))
    assert np.allclose(projector(JDA(dim=3, iterations=1, mu=1.0).fit(xs, ys, xt).components_), projector(pca_of(unit_rows(np.vstack([xs, xt])))))
    # PCA (JDA's baseline column) is joint PCA of the features as given, as in scikit-learn, and embeds without normalising
    pca = PCA(dim=3).fit(xs, ys, xt)
    assert np.allclose(projector(pca.components_), projector(pca_of(np.vstack([xs, xt]))), atol=1e-8)
    assert np.allclose(pca.transform(xt), xt @ pca.components_)


def pca_of(x: np.ndarray) -> np.ndarray:
    from sklearn.decomposition import PCA as SkPCA

    return SkPCA(3).fit(x).components_.T


def test_dim_out_of_range_is_one_sentence():
    x = np.zeros((5, 3))
    with pytest.raises(ValueError, match="dim=3 must lie between 1 and 2"):
        TCA(dim=3).fit(x + np.eye(5, 3), [0, 1, 0, 1, 0], x + 1)


# Long et al., ICCV 2013, Table 3: 1-NN on the GFK-preprocessed SURF features (l1 then z-score, per domain)
NN_TABLE3 = {
    ("caltech", "amazon"): 23.70,
    ("caltech", "webcam"): 25.76,
    ("caltech", "dslr"): 25.48,
    ("amazon", "caltech"): 26.00,
    ("amazon", "webcam"): 29.83,
    ("amazon", "dslr"): 25.48,
    ("webcam", "caltech"): 19.86,
    ("webcam", "amazon"): 22.96,
    ("webcam", "dslr"): 59.24,
    ("dslr", "caltech"): 26.27,
    ("dslr", "amazon"): 28.50,
    ("dslr", "webcam"): 63.39,
}


def surf(root, name):
    from da_bench.data.domains import load_domain

    split = load_domain(f"surf_{name}", root).splits["all"]
    return split.x.double().numpy(), split.y.numpy()


def test_table3_nn_column_and_jda_caltech_amazon(shared_root):
    from da_bench.classic.base import NoAdaptation

    data = {d: surf(shared_root, d) for d in ("amazon", "caltech", "dslr", "webcam")}
    for (s, t), published in NN_TABLE3.items():
        acc = 100 * (NoAdaptation().fit(data[s][0], data[s][1], data[t][0]).predict(data[t][0]) == data[t][1]).mean()
        assert round(acc, 2) == published, (s, t)
    (xs, ys), (xt, yt) = data["caltech"], data["amazon"]
    acc = 100 * (JDA(dim=100, lam=1.0).fit(xs, ys, xt).predict(xt) == yt).mean()
    assert round(acc, 2) == 44.78  # Table 3, JDA, C -> A (the released demo's k = 100, lambda = 1, T = 10)


# Long et al., ICCV 2013, Table 3, the PCA column (same data and 1-NN as NN_TABLE3)
PCA_TABLE3 = {
    ("caltech", "amazon"): 36.95,
    ("caltech", "webcam"): 32.54,
    ("caltech", "dslr"): 38.22,
    ("amazon", "caltech"): 34.73,
    ("amazon", "webcam"): 35.59,
    ("amazon", "dslr"): 27.39,
    ("webcam", "caltech"): 26.36,
    ("webcam", "amazon"): 31.00,
    ("webcam", "dslr"): 77.07,
    ("dslr", "caltech"): 29.65,
    ("dslr", "amazon"): 32.05,
    ("dslr", "webcam"): 75.93,
}


def test_table3_pca_column_at_the_demos_k(shared_root):
    """Joint PCA with k = 100 (the released demo's), no L2 normalisation, 1-NN: every cell to two decimals."""
    data = {d: surf(shared_root, d) for d in ("amazon", "caltech", "dslr", "webcam")}
    for (s, t), published in PCA_TABLE3.items():
        (xs, ys), (xt, yt) = data[s], data[t]
        acc = 100 * (PCA(dim=100).fit(xs, ys, xt).predict(xt) == yt).mean()
        assert round(acc, 2) == published, (s, t)


def test_table3_tca_cells_with_pans_linear_kernel_at_the_demos_k(shared_root):
    """Kernel TCA (K = X X^T), k = 100, without JDA.m's L2 normalisations, 1-NN: Table 3's TCA to two decimals, here on
    the cell no primal setting reached (C -> A), one it missed (D -> A) and the two small ones (all 12: classic.md)."""
    data = {d: surf(shared_root, d) for d in ("amazon", "caltech", "dslr", "webcam")}
    cells = {("caltech", "amazon"): 38.20, ("dslr", "amazon"): 32.15, ("webcam", "dslr"): 87.26, ("dslr", "webcam"): 86.10}
    for (s, t), published in cells.items():
        (xs, ys), (xt, yt) = data[s], data[t]
        tca = TCA(dim=100, lam=1.0, kernel="linear", normalise=False).fit(xs, ys, xt)
        assert round(100 * (tca.predict(xt) == yt).mean(), 2) == published, (s, t)


def test_table3_tca_mnist_usps_within_a_point_with_an_rbf_kernel(shared_root):
    """Both MNIST/USPS TCA cells of Table 3 within 1 point at the paper's k = 100 with an rbf kernel of small width on
    the L2 rows (any gamma in 0.1..0.4 does, classic.md); the primal form is 1.85 / 1.22 points off."""
    from da_bench.classic.data import load_pair
    from da_bench.classic.spec import build_estimator
    from da_bench.config import RunConfig

    for source, target, published in (("jda_usps", "jda_mnist", 51.05), ("jda_mnist", "jda_usps", 56.28)):
        args = {"dim": 100, "lam": 0.1, "kernel": "rbf", "gamma": 0.25}
        cfg = RunConfig(method="tca", source=source, target=target, data_root=str(shared_root), preprocess=["l2"], method_args=args)
        data = load_pair(cfg)
        estimator = build_estimator(cfg).fit(data.xs, data.ys, data.xt, data.yt)
        assert abs(100 * float((estimator.predict(data.x_eval) == data.y_eval).mean()) - published) <= 1.0, (source, target)


def test_table3_jda_cells_with_the_linear_kernel_at_the_demos_setting(shared_root):
    """JDA.m with the linear kernel (its L2 rows and embeddings kept), k = 100, lambda = 1, T = 10, 1-NN: Table 3's JDA
    to two decimals, here on four cells JDA.m's primal form misses by 0.9 to 10.8 points (all 12: classic.md)."""
    data = {d: surf(shared_root, d) for d in ("amazon", "caltech", "dslr", "webcam")}
    cells = {("amazon", "caltech"): 39.36, ("amazon", "dslr"): 39.49, ("webcam", "dslr"): 89.17, ("dslr", "webcam"): 89.49}
    for (s, t), published in cells.items():
        (xs, ys), (xt, yt) = data[s], data[t]
        jda = JDA(dim=100, lam=1.0, kernel="linear", iterations=10).fit(xs, ys, xt)
        assert round(100 * (jda.predict(xt) == yt).mean(), 2) == published, (s, t)
