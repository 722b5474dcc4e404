"""Figures are written without a display, into folders made on the way, and closed."""

from PIL import Image

from da_bench.analysis.figures import pyplot, save


def test_save_makes_folders_and_closes(tmp_path):
    plt = pyplot()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    path = save(fig, tmp_path / "a" / "b" / "f.png")
    assert plt.get_backend().lower() == "agg"
    assert fig.number not in plt.get_fignums()
    with Image.open(path) as image:
        assert image.format == "PNG"
