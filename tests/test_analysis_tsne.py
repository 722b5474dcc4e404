"""t-SNE: embedding shape, neighbourhoods kept, and the two PNGs."""

import numpy as np
import pytest
from PIL import Image

from da_bench.analysis.tsne import embed, plot_embedding


def clusters(n: int = 30, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(3), n)
    return rng.normal(size=(3 * n, 6)) + 15.0 * np.eye(6)[labels], labels


def test_embedding_shape_and_neighbours():
    features, labels = clusters()
    points = embed(features, seed=0)
    assert points.shape == (90, 2) and np.isfinite(points).all()
    distances = np.linalg.norm(points[:, None] - points[None], axis=2) + np.diag(np.full(90, np.inf))
    assert (labels[distances.argmin(1)] == labels).all()  # well-separated clusters stay apart


def test_too_few_samples_is_one_sentence():
    with pytest.raises(ValueError, match="at least 4 samples"):
        embed(np.zeros((3, 2)))


def test_two_pngs(tmp_path):
    features, labels = clusters()
    is_source = np.arange(90) % 2 == 0
    paths = plot_embedding(embed(features), is_source, labels, tmp_path / "d.png", tmp_path / "c.png", "toy")
    assert paths == [tmp_path / "d.png", tmp_path / "c.png"]
    for path in paths:
        with Image.open(path) as image:
            assert image.format == "PNG" and 300 <= image.width <= 2000 and 300 <= image.height <= 2000
