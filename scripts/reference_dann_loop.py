"""An independent MNIST -> MNIST-M loop, written from the DANN paper alone, to check da_bench's digits numbers against.

    python scripts/reference_dann_loop.py --data-root ../shared/data --method source_only --steps 4000 --seed 0
    python scripts/reference_dann_loop.py --data-root ../shared/data --method dann --steps 20000 --mnistm-train CACHE.npz

Nothing of da_bench is imported: the files are read here (MNIST IDX, MNIST-M test PNGs), the network, the gradient
reversal, the schedules and the evaluation are written out, so a defect in da_bench's data module, method or runner
cannot hide in both. Ganin et al., JMLR 2016, Sec. 5.2: conv 5x5/32, ReLU, max-pool 2, conv 5x5/48, ReLU, max-pool 2;
label predictor FC 100, FC 100, FC 10; domain classifier FC 100, FC 1 behind a gradient reversal layer; SGD momentum
0.9, lr_p = 0.01 / (1 + 10 p)^0.75, lambda_p = 2 / (1 + exp(-10 p)) - 1; 64 source (+ 64 target) images per step.
MNIST grey is repeated to 3 channels; MNIST-M (32x32) is centre-cropped to 28x28. Pixels: ``half`` is (x - 0.5) / 0.5,
``source_mean`` is x in [0, 1] minus the MNIST training images' mean. Prints the MNIST-M test accuracy at every
``--eval-every`` steps and one JSON line at the end. DANN needs the unlabeled MNIST-M training images: ``--mnistm-train``
is an .npz with an ``x`` array (n, 32, 32, 3) uint8, e.g. written from da_bench's builder.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn


def read_idx_images(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as fh:
        raw = fh.read()
    count, rows, cols = (int.from_bytes(raw[i : i + 4], "big") for i in (4, 8, 12))
    return np.frombuffer(raw, np.uint8, offset=16).reshape(count, rows, cols).copy()


def read_idx_labels(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as fh:
        return np.frombuffer(fh.read(), np.uint8, offset=8).astype(np.int64)


def read_mnistm_test(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    names, labels = zip(*(line.split() for line in (folder / "mnist_m_test_labels.txt").read_text().splitlines() if line.strip()))
    images = np.stack([np.asarray(Image.open(folder / "mnist_m_test" / n).convert("RGB")) for n in names])
    return images, np.array(labels, dtype=np.int64)


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """(n, h, w[, 3]) uint8 -> (n, 3, 28, 28) float in [0, 1]; 32x32 images are centre-cropped."""
    x = torch.from_numpy(images).float() / 255.0
    x = x.unsqueeze(1).expand(-1, 3, -1, -1) if x.ndim == 3 else x.permute(0, 3, 1, 2)
    lo = (x.shape[-1] - 28) // 2
    return x[..., lo : lo + 28, lo : lo + 28].contiguous()


class Reverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, lam):
        ctx.lam = lam
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return -ctx.lam * grad, None


def networks() -> tuple[nn.Module, nn.Module, nn.Module]:
    features = nn.Sequential(nn.Conv2d(3, 32, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 48, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())
    labels = nn.Sequential(nn.Linear(768, 100), nn.ReLU(), nn.Linear(100, 100), nn.ReLU(), nn.Linear(100, 10))
    domains = nn.Sequential(nn.Linear(768, 100), nn.ReLU(), nn.Linear(100, 1))
    return features, labels, domains


@torch.no_grad()
def accuracy(features: nn.Module, labels: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    hits = sum(int((labels(features(x[i : i + 1000])).argmax(1) == y[i : i + 1000]).sum()) for i in range(0, len(x), 1000))
    return 100.0 * hits / len(x)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", type=Path, default=Path("../shared/data"))
    parser.add_argument("--method", choices=["source_only", "dann"], default="source_only")
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--eval-every", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pixels", choices=["half", "source_mean"], default="half")
    parser.add_argument("--mnistm-train", type=Path, help="DANN's unlabeled target: .npz with x (n, 32, 32, 3) uint8")
    parser.add_argument("--limit", type=int, help="use the first N images of each set (a smoke test)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if args.method == "dann" and args.mnistm_train is None:
        parser.error("--method dann needs --mnistm-train (the unlabeled MNIST-M training images)")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    n = args.limit
    xs = to_tensor(read_idx_images(args.data_root / "mnist" / "train-images-idx3-ubyte.gz")[:n])
    ys = torch.from_numpy(read_idx_labels(args.data_root / "mnist" / "train-labels-idx1-ubyte.gz")[:n])
    test_images, test_labels = read_mnistm_test(args.data_root / "mnist_m")
    xt_test, yt_test = to_tensor(test_images[:n]), torch.from_numpy(test_labels[:n])
    xt = to_tensor(np.load(args.mnistm_train)["x"][:n]) if args.mnistm_train else None
    if args.pixels == "half":
        shift, scale = 0.5, 0.5
    else:
        shift, scale = xs.mean(dim=(0, 2, 3), keepdim=True), 1.0
    xs, xt_test = (xs - shift) / scale, (xt_test - shift) / scale
    xt = None if xt is None else (xt - shift) / scale
    features, labels, domains = networks()
    params = [*features.parameters(), *labels.parameters(), *domains.parameters()]
    optimizer = torch.optim.SGD(params, lr=0.01, momentum=0.9)
    g = torch.Generator().manual_seed(args.seed)
    start, curve = time.perf_counter(), {}
    for step in range(args.steps):
        p = step / args.steps
        for group in optimizer.param_groups:
            group["lr"] = 0.01 / (1 + 10 * p) ** 0.75
        i = torch.randint(len(xs), (64,), generator=g)
        if args.method == "source_only":
            loss = F.cross_entropy(labels(features(xs[i])), ys[i])
        else:
            j = torch.randint(len(xt), (64,), generator=g)
            f = features(torch.cat([xs[i], xt[j]]))
            d = domains(Reverse.apply(f, 2 / (1 + math.exp(-10 * p)) - 1)).squeeze(1)
            domain_targets = torch.cat([torch.zeros(64), torch.ones(64)])
            loss = F.cross_entropy(labels(f[:64]), ys[i]) + F.binary_cross_entropy_with_logits(d, domain_targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if (step + 1) % args.eval_every == 0 or step + 1 == args.steps:
            curve[step + 1] = round(accuracy(features, labels, xt_test, yt_test), 2)
            print(f"step {step + 1}: MNIST-M test {curve[step + 1]:.2f}", flush=True)
    result = {"method": args.method, "seed": args.seed, "steps": args.steps, "pixels": args.pixels, "last": curve[args.steps]}
    print(json.dumps({**result, "curve": curve, "seconds": round(time.perf_counter() - start, 1)}))


if __name__ == "__main__":
    main()
