"""Feature extractors (backbones) and the small heads built on them; importing registers the backbones."""

from da_bench.models import backbones, efficientnet_lite  # noqa: F401
