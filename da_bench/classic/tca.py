"""TCA, JDA (with BDA's balance factor) and joint PCA: one generalised eigenproblem in Long et al.'s formulation.

JDA (Long et al., "Transfer Feature Learning with Joint Distribution Adaptation", ICCV 2013, Eq. 9-10): the k
smallest eigenvalues of ``(X M X^T + lam I) a = phi X H X^T a`` with the MMD matrix ``M = M0 + sum_c Mc`` (Eq. 3
marginal, Eq. 5 class-conditional on target pseudo-labels, re-estimated for T iterations) and the centering matrix
``H``; the kernel version replaces X by the kernel matrix K (Sec. 3.4). TCA (Pan et al., IEEE TNN 2011, Eq. 11-12:
the leading eigenvectors of ``(K L K + mu I)^-1 K H K``) is the same problem with ``M = M0`` (L in Pan's notation).
BDA (Wang et al., ICDM 2017, Eq. 6) weights ``(1 - mu) M0 + mu sum_c Mc``; ``mu = 0.5`` is JDA. PCA (JDA's 'PCA'
column) has ``M = 0``
and neither L2 normalisation below.

Conventions of the reference MATLAB code (JDA.m and its demo), which change 1-NN results and are kept: rows are
L2-normalised first (``X * diag(1 ./ sqrt(sum(X.^2)))``), ``M0`` is scaled by the class count C and M by its
Frobenius norm, eigenvectors have unit 2-norm (as MATLAB ``eigs`` returns them, not the ``X H X^T``-orthonormal
ones of a generalised symmetric solver), and embeddings are L2-normalised before the classifier. ``normalise=False``
drops the two L2 normalisations: JDA's Table 3 has its TCA column from Pan et al.'s kernel form (``kernel="linear"``)
without them, as its PCA column, and its SURF JDA column from the linear kernel with them (``paper_results/classic.md``).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import eigh

from da_bench.classic.base import ClassicEstimator, fit_weighted
from da_bench.classic.kernels import KERNELS, kernel


def unit_rows(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def marginal_column(ns: int, nt: int) -> np.ndarray:
    """e with ``M0 = e e^T``: 1/ns on source rows, -1/nt on target rows (Eq. 3)."""
    return np.r_[np.full(ns, 1.0 / ns), np.full(nt, -1.0 / nt)]


def conditional_columns(ys: np.ndarray, pseudo: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """e_c with ``Mc = e_c e_c^T`` (Eq. 5): 1/n_s^c on source class c, -1/n_t^c on target rows pseudo-labelled c (0 if none)."""
    cols = []
    for c in classes:
        src, tgt = (ys == c).astype(float), (pseudo == c).astype(float)
        cols.append(np.r_[src / max(src.sum(), 1), -tgt / tgt.sum() if tgt.any() else tgt])
    return np.stack(cols, 1)


class TCA(ClassicEstimator):
    """Transfer Component Analysis (Pan et al. 2011) as in Long et al.'s code: ``dim`` components, regulariser ``lam``;
    ``normalise``: JDA.m's L2-normalised rows in and embeddings out (module docstring)."""

    def __init__(self, dim: int = 30, lam: float = 1.0, kernel: str = "primal", gamma: float = 1.0, normalise: bool = True, classifier=None) -> None:
        self.dim, self.lam, self.kernel, self.gamma, self.normalise, self.classifier = dim, lam, kernel, gamma, normalise, classifier

    def kernel_sizes(self, ns: int, nt: int, d: int) -> list[int]:
        return [ns + nt] * 4 if self.kernel == "rbf" else []  # K, K H K, the left-hand side, eigenvectors

    def _features(self, X: np.ndarray) -> np.ndarray:
        """X (normalised rows) in the primal case, else its kernel against the training rows."""
        x = self._rows(X)
        return x if self.kernel == "primal" else kernel(self.kernel, x, self.X_, self.gamma)

    def _rows(self, x: np.ndarray) -> np.ndarray:
        return unit_rows(x) if self.normalise else x

    def _check(self, n: int, d: int) -> None:
        if self.kernel not in KERNELS:
            raise ValueError(f"Unknown kernel '{self.kernel}'; use one of {', '.join(KERNELS)}.")
        width, what = {"primal": (d, "feature count"), "rbf": (n, "sample count")}.get(self.kernel, (min(n, d), "smaller of the sample and feature counts"))
        if not 0 < self.dim < width:
            raise ValueError(f"dim={self.dim} must lie between 1 and {width - 1} (the {what} minus one).")
        if self.lam <= 0:
            raise ValueError(f"lam={self.lam} must be positive (it keeps the eigenproblem well posed).")

    def _mmd_columns(self, ys: np.ndarray, ns: int, nt: int, pseudo: np.ndarray | None) -> np.ndarray:
        """Columns E with ``M = E E^T`` (before the Frobenius scaling)."""
        return marginal_column(ns, nt)[:, None]

    def _solve(self, E: np.ndarray) -> np.ndarray:
        """Components for MMD columns E; returns the normalised embedding of the training rows."""
        F, B = self.F_, self.FHF_
        A = self.lam * np.eye(F.shape[1])
        scale = np.linalg.norm(E.T @ E)  # ||E E^T||_F = ||E^T E||_F; 0 when M = 0 (PCA, or BDA's mu = 1 before pseudo-labels)
        if scale > 0:
            FE = F.T @ E
            A += FE @ FE.T / scale
        m = F.shape[1]
        _, V = eigh(B, A, subset_by_index=[m - self.dim, m - 1])  # largest 1/phi = smallest phi
        V = V[:, ::-1] / np.linalg.norm(V[:, ::-1], axis=0)
        self.components_ = V if self.basis_ is None else self.basis_ @ V  # an orthonormal basis keeps the unit norm
        return self._rows(F @ V)

    def _setup(self, Xs: np.ndarray, Xt: np.ndarray) -> None:
        """F, whose columns the eigenproblem combines: X, or K for the rbf kernel. For the linear kernel K = X X^T = U S^2 U^T,
        and the problem is solved in the span of U (a = U b), where it is exactly the n x n one (a component of a outside
        it has K a = 0 and infinite phi): F = K U = U S^2, r x r instead of n x n (r = rank X)."""
        self._check(len(Xs) + len(Xt), Xs.shape[1])
        self.X_ = self._rows(np.vstack([Xs, Xt]))
        self.basis_ = None
        if self.kernel == "linear":
            U, s, _ = np.linalg.svd(self.X_, full_matrices=False)
            rank = int((s > s[0] * max(self.X_.shape) * np.finfo(float).eps).sum())
            self.basis_, self.F_ = U[:, :rank], U[:, :rank] * s[:rank] ** 2
        else:
            self.F_ = self._features(self.X_)
        Fc = self.F_ - self.F_.mean(0)
        self.FHF_ = Fc.T @ Fc  # X H X^T (K H K): the same in every JDA iteration

    def _adapt(self, Xs, ys, Xt, yt) -> None:
        self._setup(Xs, Xt)
        self._solve(self._mmd_columns(ys, len(Xs), len(Xt), None))

    def transform(self, X, domain: str = "target") -> np.ndarray:
        return self._rows(self._features(np.asarray(X, dtype=np.float64)) @ self.components_)


class JDA(TCA):
    """Joint Distribution Adaptation (Long et al. 2013): TCA plus class-conditional MMD on pseudo-labels, ``iterations`` times.

    ``mu`` is BDA's balance factor (Wang et al. 2017): ``(1 - mu) C M0 + mu sum_c Mc``; 0.5 is JDA's ``C M0 + sum_c Mc``."""

    adapts_with_source_labels = True  # the class-conditional terms

    def __init__(
        self,
        dim: int = 30,
        lam: float = 1.0,
        kernel: str = "primal",
        gamma: float = 1.0,
        iterations: int = 10,
        mu: float = 0.5,
        normalise: bool = True,
        classifier=None,
    ) -> None:
        super().__init__(dim, lam, kernel, gamma, normalise, classifier)
        self.iterations, self.mu = iterations, mu

    def _mmd_columns(self, ys, ns, nt, pseudo) -> np.ndarray:
        e0 = marginal_column(ns, nt)[:, None] * np.sqrt((1 - self.mu) * len(self.classes_))
        if pseudo is None:
            return e0
        return np.hstack([e0, np.sqrt(self.mu) * conditional_columns(ys, pseudo, self.classes_)])

    def _adapt(self, Xs, ys, Xt, yt) -> None:
        if self.iterations < 1 or not 0 <= self.mu <= 1:
            raise ValueError(f"JDA needs iterations >= 1 and mu in [0, 1], got iterations={self.iterations}, mu={self.mu}.")
        self._setup(Xs, Xt)
        ns, pseudo = len(Xs), None
        for t in range(self.iterations):
            Z = self._solve(self._mmd_columns(ys, ns, len(Xt), pseudo))
            if t < self.iterations - 1:
                pseudo = fit_weighted(self.base_classifier(), Z[:ns], ys, None).predict(Z[ns:])


class PCA(TCA):
    """Joint PCA of source and target (JDA's 'PCA' baseline): the same eigenproblem with no MMD term.

    On the features as given, without JDA.m's L2-normalised rows and embeddings: with them no k reproduces Table 3;
    without, k = 100 gives all 14 SURF and MNIST/USPS cells to two decimals (``paper_results/classic.md``)."""

    lam = 1.0  # M = 0: the left-hand side is lam I, whose scale does not change the eigenvectors
    normalise = False

    def __init__(self, dim: int = 30, kernel: str = "primal", gamma: float = 1.0, classifier=None) -> None:
        self.dim, self.kernel, self.gamma, self.classifier = dim, kernel, gamma, classifier

    def _mmd_columns(self, ys, ns, nt, pseudo) -> np.ndarray:
        return np.zeros((ns + nt, 0))
