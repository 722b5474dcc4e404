from helpers import fake_manifest, fake_record
from PIL import Image

from da_bench.report.collect import collect
from da_bench.report.plot import bar_chart
from da_bench.report.table import build_table


def test_bar_chart_is_a_png_sized_by_its_pairs(tmp_path):
    fake_record(tmp_path, "a", "dann", "mnist", "usps", 0, 0.8)
    fake_record(tmp_path, "b", "source_only", "mnist", "usps", 0, 0.7)
    fake_manifest(
        tmp_path, "s", [("a", "dann", "mnist", "usps", 0), ("b", "source_only", "mnist", "usps", 0), ("c", "dann", "usps", "mnist", 0)]
    )  # planned, never run: labelled, not drawn
    one = bar_chart(build_table(collect(tmp_path, "last"), "last", "t"), tmp_path / "out" / "chart.png")
    with Image.open(one) as image:
        assert image.format == "PNG"
        width_two_pairs = image.size[0]
    fake_record(tmp_path, "d", "dann", "svhn", "mnist", 0, 0.6)
    with Image.open(bar_chart(build_table(collect(tmp_path, "last"), "last", "t"), tmp_path / "three.png")) as image:
        assert image.size[0] > width_two_pairs  # one more pair, one more group of bars
