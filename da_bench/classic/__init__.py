"""Classic domain adaptation on feature vectors: scikit-learn-shaped estimators (``fit(Xs, ys, Xt, yt=None)``,
``transform``, ``predict``), one module per method citing its paper, run by the same config, CLI and records as
the deep methods (``da-bench run method=jda source=surf_amazon target=surf_webcam``)."""

from da_bench.classic.base import ClassicEstimator, NoAdaptation
from da_bench.classic.coral import CORAL
from da_bench.classic.gfk import GFK
from da_bench.classic.kliep import KLIEP
from da_bench.classic.kmm import KMM
from da_bench.classic.sa import SA
from da_bench.classic.tca import JDA, PCA, TCA
from da_bench.classic.tradaboost import TrAdaBoost

__all__ = ["ClassicEstimator", "NoAdaptation", "CORAL", "GFK", "KLIEP", "KMM", "SA", "JDA", "PCA", "TCA", "TrAdaBoost"]
