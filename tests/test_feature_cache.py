"""The frozen-feature fast path on tiny generated Office-Caltech trees: cached features equal the frozen backbone's in
the training path, a second run reuses them, a cache of other weights or a corrupt one is rebuilt, and a run on them
trains, records that it did and can be analysed."""

import json
import shutil
from pathlib import Path

import pytest
import torch

from da_bench.analysis.load import finished_record, load_checkpoint, outputs, rebuild
from da_bench.cli import main
from da_bench.config import from_dict
from da_bench.data.datamodule import PairedDataModule
from da_bench.methods.network import CachedFeatures
from da_bench.registry import BACKBONES, load_plugin_file
from da_bench.runner.execute import prepare

PLUGIN = Path(__file__).parent / "tiny_photo_backbone.py"
TEN = ["backpack", "bike", "calculator", "headphones", "keyboard", "laptop", "monitor", "mouse", "mug", "projector"]
RUN = {
    "method": "source_only",
    "source": "office_caltech_amazon",
    "target": "office_caltech_webcam",
    "backbone": "tiny_photo",
    "freeze_backbone": True,
    "head_hidden": [],
    "steps": 4,
    "eval_every": 2,
    "batch_size": 8,
    "validator_samples": 10,
    "num_workers": 0,
    "threads": 1,
    "device": "cpu",
}


@pytest.fixture
def tree(tmp_path, jpeg_tree, monkeypatch):
    """Amazon and webcam trees of 3 images per class, a weights file, and a cache of this test's own."""
    load_plugin_file(PLUGIN)
    monkeypatch.setenv("DA_BENCH_CACHE", str(tmp_path / "cache"))
    for k, domain in enumerate(["amazon", "webcam"]):
        jpeg_tree(tmp_path / "office_caltech10_images" / domain, {c: 3 for c in TEN}, size=(24 + 8 * k, 32))
    write_weights(tmp_path / "weights.pt", seed=0)
    return tmp_path


def write_weights(path: Path, seed: int) -> None:
    """Random weights, batch-norm statistics included (so that eval mode differs from training mode)."""
    torch.manual_seed(seed)
    net = BACKBONES.get("tiny_photo")()
    state = {k: (torch.rand_like(v) + 0.5 if v.is_floating_point() else v) for k, v in net.state_dict().items()}
    torch.save(state, path)


def config(root: Path, **changes):
    return from_dict({**RUN, "data_root": str(root), "pretrained": str(root / "weights.pt"), **changes})


def calls() -> list[int]:
    return BACKBONES.get("tiny_photo").__globals__["CALLS"]


def cached(root: Path) -> dict[str, torch.Tensor]:
    """Each split's cached features after a fresh data-module set-up."""
    dm = PairedDataModule(config(root))
    dm.setup("fit")
    assert dm.features_cached
    return {name: split.x for name, split in dm.splits.items()}


def test_cached_features_equal_the_frozen_backbone_in_the_training_path(tree):
    dm, model = prepare(config(tree, feature_cache=False))
    assert not dm.features_cached and not isinstance(model.backbone, CachedFeatures)
    model.train()  # the training loop's mode: a frozen backbone stays in eval mode
    dm_c, model_c = prepare(config(tree))
    assert dm_c.features_cached and isinstance(model_c.backbone, CachedFeatures) and dm_c.input_shape == (32,)
    for split in ("source_val", "target_test", "target_unlabeled"):
        with torch.no_grad():
            images = [(model.backbone_features(x), y) for x, y in dm.eval_batches(dm.splits[split], with_labels=True)]
        uncached, labels = torch.cat([f for f, _ in images]), torch.cat([y for _, y in images])
        features = model_c.backbone_features(dm_c.splits[split].x)
        assert features.shape == uncached.shape and uncached.std(0).max() > 0
        torch.testing.assert_close(features, uncached, rtol=1e-5, atol=1e-5)
        assert torch.equal(dm_c.splits[split].y, labels)


def test_a_second_run_reuses_the_cache_without_a_forward_pass(tree):
    calls()[0] = 0
    first = cached(tree)
    assert calls()[0] > 0
    calls()[0] = 0
    again = cached(tree)
    assert calls()[0] == 0
    assert all(torch.equal(first[k], again[k]) for k in first)


def test_other_weights_are_recomputed_and_a_foreign_or_corrupt_file_rebuilt(tree, capsys):
    first = cached(tree)
    files_first = set((tree / "cache" / "features").iterdir())
    write_weights(tree / "weights.pt", seed=1)  # same backbone, name and arguments; other weights
    calls()[0] = 0
    other = cached(tree)
    assert calls()[0] > 0 and not torch.equal(first["target_test"], other["target_test"])
    files_other = set((tree / "cache" / "features").iterdir()) - files_first
    assert len(files_other) == len(files_first) == 2  # one file per domain split
    write_weights(tree / "weights.pt", seed=0)
    amazon = next(p for p in files_first if p.name.startswith("office_caltech_amazon"))
    shutil.copy(next(p for p in files_other if p.name.startswith("office_caltech_amazon")), amazon)  # another key's file
    webcam = next(p for p in files_first if p.name.startswith("office_caltech_webcam"))
    webcam.write_bytes(b"not a torch file")
    capsys.readouterr()
    rebuilt = cached(tree)
    err = capsys.readouterr().err
    assert err.count("are corrupt or were computed from other inputs; recomputing them.") == 2
    assert str(amazon) in err and str(webcam) in err
    assert all(torch.equal(first[k], rebuilt[k]) for k in first)


def test_a_frozen_run_trains_on_cached_features_and_can_be_analysed(tree):
    args = [f"{k}={json.dumps(v) if isinstance(v, list) else v}" for k, v in RUN.items()]
    out = tree / "out"
    assert main(["run", "--plugin", str(PLUGIN), *args, f"pretrained={tree / 'weights.pt'}", "--data-root", str(tree), "--out", str(out)]) == 0
    (folder,) = [p.parent for p in out.rglob("record.json")]
    record = finished_record(folder)
    assert record["provenance"]["features_cached"] is True and record["config"]["feature_cache"] is True
    assert [p["step"] for p in record["history"]] == [2, 4]
    dm, model = rebuild(record, load_checkpoint(folder))
    assert isinstance(model.backbone, CachedFeatures)
    result = outputs(model, dm, "target_test", "target")
    assert result.logits.shape == (len(dm.splits["target_test"]), 10) and result.labels.tolist() == dm.splits["target_test"].y.tolist()
