"""t-SNE of source and target features (van der Maaten and Hinton, JMLR 2008), as TLlib's
``tllib/utils/analysis/tsne.py`` draws it: a 2-D embedding of both domains' features together, one plot coloured
by domain (source red, target blue) and one by class (marker by domain)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from da_bench.analysis.figures import pyplot, save

PERPLEXITY = 30.0  # sklearn's default, lowered for fewer than 91 samples (it must stay below n / 3)


def embed(features: np.ndarray, seed: int = 0) -> np.ndarray:
    """An (n, 2) t-SNE embedding of the rows of ``features`` (PCA initialisation, seeded)."""
    from sklearn.manifold import TSNE

    n = len(features)
    if n < 4:
        raise ValueError(f"t-SNE needs at least 4 samples (got {n}); analyse more samples.")
    perplexity = min(PERPLEXITY, (n - 1) / 3)
    return TSNE(n_components=2, perplexity=perplexity, init="pca", learning_rate="auto", random_state=seed).fit_transform(features.astype(np.float32))


def plot_embedding(points: np.ndarray, is_source: np.ndarray, labels: np.ndarray, by_domain: Path, by_class: Path, title: str) -> list[Path]:
    """Two PNGs of the embedded ``points``: coloured by domain, and by class (o: source, x: target)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 5))
    for mask, colour, name in ((is_source, "tab:red", "source"), (~is_source, "tab:blue", "target")):
        ax.scatter(points[mask, 0], points[mask, 1], s=6, c=colour, alpha=0.6, linewidths=0, label=f"{name} ({int(mask.sum())})")
    _finish(ax, f"{title}: by domain")
    paths = [save(fig, by_domain)]
    fig, ax = plt.subplots(figsize=(5, 5))
    classes = int(labels.max()) + 1
    colours = plt.get_cmap("tab10" if classes <= 10 else "tab20" if classes <= 20 else "turbo")
    shade = labels if classes <= 20 else labels / max(classes - 1, 1)  # a listed map takes class indices, turbo [0, 1]
    for mask, marker in ((is_source, "o"), (~is_source, "x")):
        ax.scatter(points[mask, 0], points[mask, 1], s=7 if marker == "o" else 9, c=colours(shade[mask]), marker=marker, alpha=0.7, linewidths=0.6)
    if classes <= 20:
        for c in range(classes):
            ax.scatter([], [], s=12, color=colours(c), label=f"class {c}")
    _finish(ax, f"{title}: by class (o source, x target)")
    paths.append(save(fig, by_class))
    return paths


def _finish(ax: Any, title: str) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=9)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", fontsize=6, markerscale=1.5)
