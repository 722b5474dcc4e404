"""da_bench's classic methods beside skada's (https://github.com/scikit-adaptation/skada) on Office-Caltech-10 SURF:
the same data, preprocessing, hyperparameters and classifier; accuracy (%) averaged over the pairs and total time.

    OMP_NUM_THREADS=1 python scripts/classic_vs_skada.py --data-root ../shared/data [--pairs 12]

skada is optional (``pip install -e .[classic]``); without it the script says so and stops.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
import warnings

import numpy as np
import sklearn

DOMAINS = ["caltech", "amazon", "webcam", "dslr"]


def ours(name: str, classifier):
    from da_bench.classic import CORAL, KLIEP, KMM, SA, TCA

    return {
        "CORAL": lambda: CORAL(reg=1.0, classifier=classifier()),
        "SA": lambda: SA(dim=80, classifier=classifier()),
        "TCA": lambda: TCA(dim=100, lam=1.0, kernel="rbf", gamma=1.0, classifier=classifier()),
        "KMM": lambda: KMM(gamma=None, classifier=classifier()),
        "KLIEP": lambda: KLIEP(classifier=classifier()),
    }[name]()


def theirs(name: str, classifier, gamma: float):
    import skada

    adapter = {
        "CORAL": lambda: skada.CORALAdapter(reg=1.0),
        "SA": lambda: skada.SubspaceAlignmentAdapter(n_components=80),
        "TCA": lambda: skada.TransferComponentAnalysisAdapter(kernel="rbf", n_components=100, mu=1.0),
        "KMM": lambda: skada.KMMReweightAdapter(gamma=gamma),
        "KLIEP": lambda: skada.KLIEPReweightAdapter(gamma=[gamma * f for f in (4.0, 2.0, 1.0, 0.5, 0.25)], random_state=0),
    }[name]()
    clf = classifier()
    if name in ("KMM", "KLIEP"):  # skada routes the weights as metadata
        clf.set_fit_request(sample_weight=True)
    return skada.make_da_pipeline(adapter, clf)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", required=True)
    parser.add_argument("--pairs", type=int, default=12, help="how many of the 12 pairs (in Table 3 order)")
    args = parser.parse_args()
    try:
        import skada  # noqa: F401
        from skada.utils import source_target_merge
    except ImportError:
        print("skada is not installed; pip install -e .[classic] (or pip install skada) to compare.")
        return 1
    from da_bench.classic.classifiers import logistic_regression, one_nn
    from da_bench.classic.kernels import median_gamma
    from da_bench.cli import import_builtins
    from da_bench.data.domains import load_domain

    warnings.simplefilter("ignore")
    sklearn.set_config(enable_metadata_routing=True)  # skada passes sample weights to the classifier this way
    import_builtins()
    data = {d: load_domain(f"surf_{d}", args.data_root).splits["all"] for d in DOMAINS}
    data = {d: (s.x.double().numpy(), s.y.numpy()) for d, s in data.items()}
    pairs = [(s, t) for s, t in itertools.permutations(DOMAINS, 2)][: args.pairs]
    methods = {"CORAL": logistic_regression, "SA": one_nn, "TCA": one_nn, "KMM": logistic_regression, "KLIEP": logistic_regression}
    print(f"| method | classifier | da_bench acc | skada acc | da_bench s | skada s |  ({len(pairs)} SURF pairs)")
    print("|---|---|---|---|---|---|")
    for name, classifier in methods.items():
        acc = {"ours": [], "skada": []}
        secs = {"ours": 0.0, "skada": 0.0}
        for s, t in pairs:
            (xs, ys), (xt, yt) = data[s], data[t]
            start = time.perf_counter()
            acc["ours"].append((ours(name, classifier).fit(xs, ys, xt).predict(xt) == yt).mean())
            secs["ours"] += time.perf_counter() - start
            start = time.perf_counter()
            X, y, domain = source_target_merge(xs, xt, ys, np.full(len(xt), -1))
            pipe = theirs(name, classifier, median_gamma(xs, xt)).fit(X, y, sample_domain=domain)
            acc["skada"].append((pipe.predict(xt, sample_domain=np.full(len(xt), -2)) == yt).mean())
            secs["skada"] += time.perf_counter() - start
        clf = "1-NN" if classifier is one_nn else "logreg"
        cells = [f"{100 * np.mean(acc[k]):.2f}" for k in acc] + [f"{secs[k]:.1f}" for k in secs]
        print(f"| {name} | {clf} | {' | '.join(cells)} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
