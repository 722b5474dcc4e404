"""Image-list and class-folder domains: Office-Home, VisDA-2017, DomainNet, and the readers that Office-31 and
Office-Caltech-10 (:mod:`da_bench.data.office`) share.

List files hold ``path label`` per line; paths carrying another machine's prefix resolve against
the data root by the longest suffix that exists there. Images are read lazily by worker processes.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch.utils.data import Dataset

from da_bench.data.domains import DataError, DomainData, DomainSpec, Split, register_domain
from da_bench.data.files import read_pairs

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp"}


class ImageFiles(Dataset):
    """(PIL image, label) pairs read from paths; :class:`Transformed` applies a split's transform."""

    def __init__(self, paths: list[Path], labels: list[int]) -> None:
        self.paths, self.labels = paths, labels

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> tuple[object, int]:
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(self.paths[i]) as im:
                image = im.convert("RGB")
        except FileNotFoundError:
            raise DataError(f"Image '{self.paths[i]}' is missing; restore it or fix the list file.") from None
        except (UnidentifiedImageError, OSError) as err:
            raise DataError(f"Image '{self.paths[i]}' does not decode ({err}); replace the file.") from None
        return image, self.labels[i]


class Transformed(Dataset):
    """A view of an image dataset (or subset) with one split's transform."""

    def __init__(self, base: Dataset, transform) -> None:
        self.base, self.transform = base, transform

    def __len__(self) -> int:
        return len(self.base)  # type: ignore[arg-type]

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        image, label = self.base[i]
        return self.transform(image), label


def resolve_prefix(raw: str, image_root: Path) -> tuple[str, Path] | None:
    """Find how a listed path maps under ``image_root``: the prefix to strip and the resolved file."""
    parts = Path(raw).parts
    for i in range(len(parts)):
        candidate = image_root.joinpath(*parts[i:])
        if candidate.exists():
            return str(Path(*parts[:i])) if i else "", candidate
    return None


def read_list(list_file: Path, image_root: Path) -> tuple[list[Path], list[int]]:
    """Paths and labels of a list file; every listed image must exist (checked here, not mid-training)."""
    lines = read_pairs(list_file)
    if not lines:
        raise DataError(f"List file '{list_file}' is empty; restore it.")
    found = resolve_prefix(lines[0][0], image_root)
    if found is None:
        raise DataError(f"Image '{lines[0][0]}' from '{list_file}' was not found under '{image_root}' (nor any suffix of its path); put the images there.")
    prefix = found[0]
    paths = [image_root / (Path(p).relative_to(prefix) if prefix else Path(p)) for p, _ in lines]
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise DataError(
            f"{len(missing)} of the {len(paths)} images listed in '{list_file}' are missing, the first '{missing[0]}'; restore them or remove their lines."
        )
    return paths, [label for _, label in lines]


def read_class_folders(folder: Path, rename: dict[str, str] | None = None) -> tuple[list[Path], list[int], list[str]]:
    """Images under ``<folder>/<class>/``, labelled by the sorted class names; ``rename`` maps a folder to its class name."""
    dirs = {(rename or {}).get(d.name, d.name): d for d in folder.iterdir() if d.is_dir()}
    classes = sorted(dirs)
    paths, labels = [], []
    for k, name in enumerate(classes):
        for f in sorted(dirs[name].rglob("*")):
            if f.suffix.lower() in IMAGE_SUFFIXES:
                paths.append(f)
                labels.append(k)
    return paths, labels, classes


def image_split(paths: list[Path], labels: list[int]) -> Split:
    return Split(ImageFiles(paths, labels), torch.tensor(labels, dtype=torch.long))


def list_or_folder_domain(name: str, bench_dir: str, num_classes: int, lists: dict[str, list[str]], folder: str | None):
    """Reads the first existing list file per split (paths relative to the data root), images under
    <root>/<bench_dir>; else the class folder <root>/<bench_dir>/<folder>."""

    layout = f"list file {' or '.join(sorted({p for v in lists.values() for p in v}))} with images under {bench_dir}/" + (
        f", or {bench_dir}/{folder}/<class>/*.jpg" if folder else ""
    )

    def load(root: Path, cache: Path) -> DomainData:
        base = root / bench_dir
        splits = {}
        for split, candidates in lists.items():
            for rel in candidates:
                if (root / rel).exists():
                    splits[split] = image_split(*read_list(root / rel, base))
                    break
        if not splits and folder and (base / folder).is_dir():
            paths, labels, classes = read_class_folders(base / folder)
            return DomainData(name, num_classes, {"all": image_split(paths, labels)}, classes)
        if not splits:
            raise DataError(f"Domain '{name}' found no list file or class folder under '{base}'; expected layout: {layout}.")
        return DomainData(name, num_classes, splits)

    return DomainSpec(name, "", num_classes, load, layout, "")


def _register(spec: DomainSpec, description: str, obtain: str) -> None:
    register_domain(DomainSpec(spec.name, description, spec.num_classes, spec.load, spec.layout, obtain))


for _d in ("Art", "Clipart", "Product", "Real_World"):
    _register(
        list_or_folder_domain(f"officehome_{_d.lower()}", "office_home", 65, {"all": [f"office_home/image_list/{_d}.txt", f"office_home/{_d}.txt"]}, _d),
        f"Office-Home {_d} (Venkateswara et al. 2017), 65 classes",
        "the OfficeHomeDataset_10072016 archive",
    )
for _d, _rel in (("train", "train/image_list.txt"), ("validation", "validation/image_list.txt")):
    _register(
        list_or_folder_domain(f"visda_{_d}", "visda2017", 12, {"all": [f"visda2017/{_rel}"]}, _d),
        f"VisDA-2017 {_d} ({'synthetic renderings' if _d == 'train' else 'real photos'}), 12 classes",
        "the VisDA-2017 classification archives",
    )
for _d in ("clipart", "infograph", "painting", "quickdraw", "real", "sketch"):
    _register(
        list_or_folder_domain(f"domainnet_{_d}", "domainnet", 345, {"train": [f"domainnet/{_d}_train.txt"], "test": [f"domainnet/{_d}_test.txt"]}, _d),
        f"DomainNet {_d} (Peng et al. 2019), 345 classes",
        "the DomainNet archives with their *_train.txt / *_test.txt lists",
    )
