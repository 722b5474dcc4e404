"""scripts/reference_dann_loop.py: the independent MNIST -> MNIST-M loop reads the real file formats, trains both
methods, and builds the same network as da_bench's DANN digits recipe."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from da_bench.models.backbones import dann_digits
from da_bench.models.heads import DomainDiscriminator, mlp_classifier

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "reference_dann_loop.py"
sys.path.insert(0, str(SCRIPT.parent))
import reference_dann_loop as loop  # noqa: E402


def data_root(root: Path, n: int = 120) -> Path:
    """MNIST IDX files and an MNIST-M test folder as the shared data lays them out, with random images."""
    rng = np.random.default_rng(0)
    (root / "mnist").mkdir(parents=True)
    images, labels = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n, dtype=np.uint8)
    header = lambda magic, *dims: b"".join(int(v).to_bytes(4, "big") for v in (magic, *dims))  # noqa: E731
    (root / "mnist" / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(header(2051, n, 28, 28) + images.tobytes()))
    (root / "mnist" / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(header(2049, n) + labels.tobytes()))
    (root / "mnist_m" / "mnist_m_test").mkdir(parents=True)
    lines = []
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(root / "mnist_m" / "mnist_m_test" / f"{i:08d}.png")
        lines.append(f"{i:08d}.png {labels[i]}")
    (root / "mnist_m" / "mnist_m_test_labels.txt").write_text("\n".join(lines) + "\n")
    np.savez(root / "train.npz", x=rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8))
    return root


def test_the_files_are_read_in_their_real_formats(tmp_path):
    root = data_root(tmp_path)
    images = loop.read_idx_images(root / "mnist" / "train-images-idx3-ubyte.gz")
    test_x, test_y = loop.read_mnistm_test(root / "mnist_m")
    assert images.shape == (120, 28, 28) and test_x.shape == (120, 32, 32, 3)
    torch.testing.assert_close(torch.from_numpy(test_y), torch.from_numpy(loop.read_idx_labels(root / "mnist" / "train-labels-idx1-ubyte.gz")))
    x = loop.to_tensor(test_x)  # centre 28x28 of the 32x32 images, channels first, in [0, 1]
    assert x.shape == (120, 3, 28, 28) and torch.equal(x[0, 0], torch.from_numpy(test_x[0, 2:30, 2:30, 0]).float() / 255)
    assert torch.equal(loop.to_tensor(images)[:, 0], loop.to_tensor(images)[:, 2])  # grey repeated to 3 channels


def test_both_methods_train_and_report(tmp_path):
    root = data_root(tmp_path)
    for method in ("source_only", "dann"):
        args = ["--data-root", root, "--method", method, "--steps", 6, "--eval-every", 3, "--mnistm-train", root / "train.npz"]
        result = subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout.splitlines()[-1])
        assert report["method"] == method and set(report["curve"]) == {"3", "6"} and 0 <= report["last"] <= 100


def test_dann_without_the_target_training_images_is_refused(tmp_path):
    result = subprocess.run([sys.executable, str(SCRIPT), "--data-root", str(tmp_path), "--method", "dann"], capture_output=True, text=True)
    assert result.returncode == 2 and "--mnistm-train" in result.stderr


def test_the_network_is_da_benchs_dann_digits_recipe_layer_for_layer():
    ours = [dann_digits(3), mlp_classifier(768, 10, (100, 100)), DomainDiscriminator(768, 100, 1, False)]
    for mine, theirs in zip(loop.networks(), ours):
        assert [p.shape for p in mine.parameters()] == [p.shape for p in theirs.parameters()]
