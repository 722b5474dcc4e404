"""The arrays of a classic run: labeled source, unlabeled (and k-shot labeled) target, the target samples scored.

Protocol of the published tables (GFK, SA, TCA, JDA): every source sample is labeled, every target sample is
unlabeled at training time and scored afterwards (**transductive**). A target domain with its own train/test
splits is used **inductively**: fit on its train split, scored on its test split. ``k_shot`` labeled target samples
per class (TrAdaBoost) are drawn with the run's seed and left out of the scored samples. ``source_per_class`` keeps
that many labeled source samples per class, drawn with the run's seed, and marks the others unlabeled (``-1``), as
the random splits of Gong et al. (CVPR 2012, Sec. 5.1) that the SA and CORAL papers follow (20 per class, 8 from
DSLR, 20 trials: one seed each): their released demos preprocess and fit the subspaces on the whole source domain and
the classifier on the drawn samples. The pair checks of the
deep runs apply (same data refused, label spaces, input kinds); image domains become features of a frozen backbone
(:mod:`da_bench.classic.extract`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from da_bench.classic.base import UNLABELED
from da_bench.classic.preprocess import Preprocessor
from da_bench.config import RunConfig
from da_bench.data.checks import check_inputs, check_k_shot, check_label_spaces, drops_target_test_origins
from da_bench.data.datamodule import concat_splits
from da_bench.data.domains import DataError, DomainData, Split, load_domain
from da_bench.data.files import refuse_non_finite


@dataclass
class FeaturePair:
    xs: np.ndarray
    ys: np.ndarray  # -1 for source rows left unlabeled by source_per_class
    xt: np.ndarray  # target rows seen at fit time (unlabeled, and the k-shot labeled ones)
    yt: np.ndarray  # -1 for unlabeled rows, the label for k-shot rows
    x_eval: np.ndarray
    y_eval: np.ndarray
    num_classes: int
    protocol: str  # 'transductive' | 'inductive'


def _pool(domain: DomainData, role: str) -> Split:
    return domain.splits.get(role) or domain.splits.get("all") or next(iter(domain.splits.values()))


def _target_splits(target: DomainData) -> tuple[Split, Split, str]:
    if "train" in target.splits and "test" in target.splits:
        return target.splits["train"], target.splits["test"], "inductive"
    everything = concat_splits(list(target.splits.values()))
    return everything, everything, "transductive"


def _features(cfg: RunConfig, splits: list[Split]) -> list[np.ndarray]:
    from da_bench.classic.extract import backbone_features

    if all(s.in_memory and s.x.ndim == 2 for s in splits):
        return [s.x.double().numpy() for s in splits]
    return backbone_features(cfg, splits)


def draw_per_class(y: np.ndarray, k: int, rng: np.random.Generator, num_classes: int) -> np.ndarray:
    """Row indices of ``k`` samples of each class of ``y``, drawn with ``rng`` class by class."""
    return np.concatenate([rng.permutation(np.flatnonzero(y == c))[:k] for c in range(num_classes)])


def check_source_per_class(y: np.ndarray, per_class: int, num_classes: int, source: str) -> None:
    """Refuse a ``source_per_class`` that some class of the source cannot supply."""
    counts = np.bincount(y, minlength=num_classes)
    if per_class > counts.min():
        c = int(counts.argmin())
        raise DataError(
            f"source_per_class={per_class} needs {per_class} samples of each class in source '{source}', but class {c} has "
            f"{counts[c]}; the largest valid source_per_class is {counts.min()}."
        )


def load_pair(cfg: RunConfig) -> FeaturePair:
    """The run's arrays, preprocessed per domain; refuses bad pairs and non-finite features in one sentence."""
    sources = [cfg.source] if isinstance(cfg.source, str) else list(cfg.source)
    drops = [drops_target_test_origins(name, cfg.target) for name in sources]  # or refuses the pair
    source_data = [load_domain(name, cfg.data_root) for name in sources]
    target = load_domain(cfg.target, cfg.data_root)
    check_label_spaces(source_data + [target])
    check_inputs(source_data + [target])
    fit_split, eval_split, protocol = _target_splits(target)
    parts = [_pool(d, "train") for d in source_data]
    parts = [p.subset(np.flatnonzero(~np.isin(p.origin, eval_split.origin))) if drop else p for p, drop in zip(parts, drops)]
    source = concat_splits(parts)
    ys = source.y.numpy()
    if cfg.source_per_class:  # labels drawn with their own stream, independent of k_shot's
        check_source_per_class(ys, cfg.source_per_class, target.num_classes, str(cfg.source))
        drawn = draw_per_class(ys, cfg.source_per_class, np.random.default_rng([cfg.seed, 1]), target.num_classes)
        ys = np.full(len(ys), UNLABELED)
        ys[drawn] = source.y.numpy()[drawn]
    yt = np.full(len(fit_split), UNLABELED)
    scored = np.ones(len(eval_split), dtype=bool)
    if cfg.k_shot:
        check_k_shot(fit_split.y, cfg.k_shot, target)
        y = fit_split.y.numpy()
        shots = draw_per_class(y, cfg.k_shot, np.random.default_rng(cfg.seed), target.num_classes)
        yt[shots] = y[shots]
        if protocol == "transductive":
            scored[shots] = False  # a labeled sample is not scored
    xs, xt = _features(cfg, [source, fit_split])
    x_eval = xt if protocol == "transductive" else _features(cfg, [eval_split])[0]
    for name, x in ((str(cfg.source), xs), (cfg.target, xt), (cfg.target, x_eval)):
        refuse_non_finite(f"domain '{name}' features", x, fix="clean its file or use another backbone")
    src_prep, tgt_prep = Preprocessor(cfg.preprocess).fit(xs), Preprocessor(cfg.preprocess).fit(xt)
    return FeaturePair(
        src_prep.transform(xs),
        ys,
        tgt_prep.transform(xt),
        yt,
        tgt_prep.transform(x_eval)[scored],
        eval_split.y.numpy()[scored],
        target.num_classes,
        protocol,
    )
