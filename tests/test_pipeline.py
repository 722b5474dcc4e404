"""Pipelines declared by the backbone: photo crops and normalisation, digit sizes, plugin declarations, refusals."""

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from da_bench.config import ConfigError, from_dict
from da_bench.data.datamodule import PairedDataModule
from da_bench.data.domains import DomainData, DomainSpec, Split, register_domain
from da_bench.data.pipeline import PHOTOS, Pipeline, photo_transform, pipeline_of, takes
from da_bench.models.backbones import FeatureExtractor
from da_bench.registry import BACKBONES

# every image of a domain is one pattern, so each split's tensors are known whatever the split order
GREY = torch.linspace(0, 1, 20 * 20).view(1, 1, 20, 20)
RGB = torch.stack([torch.linspace(0, 1, 400), torch.linspace(1, 0, 400), torch.full((400,), 0.3)]).view(1, 3, 20, 20)


def pattern_domain(name: str, pattern: torch.Tensor) -> None:
    def load(root: Path, cache: Path) -> DomainData:
        return DomainData(name, 2, {"all": Split(pattern.expand(40, -1, -1, -1).clone(), torch.arange(40) % 2)})

    register_domain(DomainSpec(name, f"pipeline test domain {name}", 2, load, "-", "generated in tests", needs_root=False))


pattern_domain("pipeline_test_grey", GREY)
pattern_domain("pipeline_test_rgb", RGB)


def splits(**kw) -> dict[str, torch.Tensor]:
    dm = PairedDataModule(from_dict({"source": "pipeline_test_grey", "target": "pipeline_test_rgb", "steps": 2, "eval_every": 1, **kw}))
    dm.setup("fit")
    return {name: s.x for name, s in dm.splits.items()}


def expected(pattern: torch.Tensor, size: int, mean: float = 0.5, std: float = 0.5) -> torch.Tensor:
    x = pattern.expand(-1, 3, -1, -1)
    x = x if size == 20 else F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    return (x - mean) / std


@pytest.mark.parametrize("backbone,size", [("dann_digits", 28), ("lenet", 28), ("dtn", 32), ("resnet18", 20)])
def test_digit_tensors_are_the_recipes_bilinear_resize_and_half_scaling(backbone, size):
    """28x28 for the DANN and LeNet digit networks, 32x32 for DTN, the data's own side under a photo backbone; (x - 0.5) / 0.5."""
    x = splits(backbone=backbone)
    assert torch.equal(x["source_train"], expected(GREY, size).expand_as(x["source_train"]))
    assert torch.equal(x["target_test"], expected(RGB, size).expand_as(x["target_test"]))


def test_source_mean_subtraction_under_a_digit_backbone():
    x = splits(backbone="lenet", pixel_norm="source_mean")
    grey = expected(GREY, 28, 0.0, 1.0)
    torch.testing.assert_close(x["target_test"][:1], expected(RGB, 28, 0.0, 1.0) - grey.mean(dim=(2, 3), keepdim=True))


def test_a_plugin_backbone_declares_its_own_pipeline_and_one_that_does_not_takes_photos():
    @takes(Pipeline(photos=False, size=16, mean=(0.25,), std=(2.0,)))
    def probe_declared(in_channels: int = 3) -> FeatureExtractor:
        return FeatureExtractor(torch.nn.Flatten(), 3 * 16 * 16)

    def probe_silent(in_channels: int = 3) -> FeatureExtractor:
        return FeatureExtractor(torch.nn.Flatten(), 3 * 20 * 20)

    BACKBONES.register("probe_declared", probe_declared)
    BACKBONES.register("probe_silent", probe_silent)
    try:
        x = splits(backbone="probe_declared")
        torch.testing.assert_close(x["source_val"][:1], expected(GREY, 16, 0.25, 2.0))
        assert pipeline_of("probe_silent") == PHOTOS and torch.equal(splits(backbone="probe_silent")["source_val"][:1], expected(GREY, 20))
    finally:
        BACKBONES._items.pop("probe_declared")
        BACKBONES._items.pop("probe_silent")


@pytest.mark.parametrize(
    "backbone,normalised",
    [
        ("resnet50", lambda v: [(c - m) / s for c, m, s in zip(v, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))]),  # ImageNet
        ("efficientnet_lite0", lambda v: [(255 * c - 127) / 128 for c in v]),  # the TF Lite builder's (x - 127) / 128
    ],
)
def test_photos_are_cropped_to_224_and_normalised_as_the_backbone_declares(backbone, normalised):
    colour = (255, 0, 102)
    image = Image.new("RGB", (320, 240), colour)  # one colour: crops leave the values alone
    pipeline = pipeline_of(backbone)
    for train in (True, False):
        x = photo_transform(pipeline, train)(image)
        assert x.shape == (3, 224, 224)
        torch.testing.assert_close(x[:, 100, 100], torch.tensor(normalised([c / 255 for c in colour]), dtype=torch.float32))


def test_image_size_keeps_the_recipes_resize_to_crop_ratio():
    """Resize 256 : crop 224, so a crop of 112 follows a resize to 128."""
    image = Image.new("RGB", (400, 200))
    image.paste((255, 255, 255), (0, 0, 400, 50))  # top quarter white: 32 rows at height 128, 24 of them in the centre crop
    p = PHOTOS.sized(112)
    x = photo_transform(p, train=False)(image)
    assert (p.size, p.resize) == (112, 128) and x.shape == (3, 112, 112)
    white = x[0, :, 56] > 0
    assert white[:23].all() and not white[25:].any()  # resized to 256, the crop (rows 72-183) would hold no white row


def test_a_digit_backbone_refuses_photographs(tmp_path, jpeg_tree):
    for domain in ("Art", "Clipart"):
        jpeg_tree(tmp_path / "office_home" / domain, {"a": 2, "b": 2})
    dm = PairedDataModule(from_dict({"source": "officehome_art", "target": "officehome_clipart", "backbone": "lenet", "data_root": str(tmp_path)}))
    with pytest.raises(ConfigError, match="'lenet' takes small in-memory digit images, not photographs.*efficientnet_lite0"):
        dm.setup("fit")
