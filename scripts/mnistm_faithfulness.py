"""How close the rebuilt MNIST-M training split is to the original MNIST-M images.

    python scripts/mnistm_faithfulness.py --data-root DIR [--model-check STEPS]

Prints per-channel mean and std (pixels in [0, 1]) of the built train split
(:mod:`da_bench.data.mnistm_build`) and of the original MNIST-M test split. ``--model-check STEPS``
also trains the DANN paper's digit network (``dann_digits``) source-only on MNIST for STEPS steps
and reports its accuracy on both: similar accuracies say the two look alike to a network.
"""

from __future__ import annotations

import argparse
import time

import torch

from da_bench.cli import import_builtins
from da_bench.data.domains import load_domain


def channel_stats(x: torch.Tensor) -> tuple[list[float], list[float]]:
    flat = x.transpose(0, 1).reshape(x.shape[1], -1).double()
    return flat.mean(1).tolist(), flat.std(1).tolist()


def accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    with torch.no_grad():
        hits = sum(int((model(x[i : i + 1024]).argmax(1) == y[i : i + 1024]).sum()) for i in range(0, len(y), 1024))
    return hits / len(y)


def model_check(data_root: str, steps: int) -> None:
    from da_bench.config import from_dict
    from da_bench.runner.execute import bare_trainer, prepare

    cfg = from_dict(
        {
            "method": "source_only",
            "source": "mnist",
            "target": "mnist_m",
            "backbone": "dann_digits",
            "steps": steps,
            "eval_every": steps,
            "data_root": data_root,
            "seed": 0,
        }
    )
    dm, model = prepare(cfg)
    bare_trainer(use_gpu=False).fit(model, train_dataloaders=dm.train_dataloader())
    for role, name in (("source_val", "MNIST (source val)"), ("target_unlabeled", "built MNIST-M train"), ("target_test", "original MNIST-M test")):
        split = dm.splits[role]
        print(f"accuracy on {name:<22} ({len(split):>6} images): {accuracy(model, split.x, split.y):.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", required=True)
    parser.add_argument("--model-check", type=int, metavar="STEPS", default=0, help="also train dann_digits source-only on MNIST for STEPS steps")
    args = parser.parse_args()
    import_builtins()
    start = time.perf_counter()
    data = load_domain("mnist_m", args.data_root)
    print(f"loaded mnist_m in {time.perf_counter() - start:.1f} s (builds the train split on first use)")
    if "train" not in data.splits:
        raise SystemExit("mnist_m has no train split here: the data root needs mnist/train-* and bsds500/train/*.jpg.")
    for name, split in (("built train", data.splits["train"]), ("original test", data.splits["test"])):
        mean, std = channel_stats(split.x)  # type: ignore[arg-type]
        print(f"{name:<14} n={len(split):>6}  mean R,G,B = {', '.join(f'{v:.4f}' for v in mean)}  std R,G,B = {', '.join(f'{v:.4f}' for v in std)}")
    if args.model_check:
        model_check(args.data_root, args.model_check)


if __name__ == "__main__":
    main()
