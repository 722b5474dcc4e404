"""Office-31 (Saenko et al., ECCV 2010) and Office-Caltech-10 (Gong et al., CVPR 2012) image domains.

Office-Caltech-10 holds the amazon, dslr and webcam images of the 10 classes Office-31 shares with Caltech-256, plus
Caltech-256's images of them, as ``office_caltech10_images/<domain>/<class>/<file>.jpg`` (its ``SOURCE.md``). Its
class folders must be the 10 classes in every domain, checked at load: the two domains of a pair share one label space.
An Office-31 domain reads its 31 classes from a list file or class folders; where only the 10 shared classes are
present (an ``office31/<d>/images`` tree of those 10, or the Office-Caltech folder) it reads them as Office-Caltech
does, Office-31's folders ``back_pack`` and ``laptop_computer`` read as ``backpack`` and ``laptop``.
"""

from __future__ import annotations

from pathlib import Path

from da_bench.data.domains import DataError, DomainData, DomainSpec, Lineage, register_domain
from da_bench.data.files import read_pairs
from da_bench.data.images import image_split, read_class_folders, read_list, resolve_prefix

CLASSES = ("backpack", "bike", "calculator", "headphones", "keyboard", "laptop", "monitor", "mouse", "mug", "projector")
OFFICE31_NAMES = {"back_pack": "backpack", "laptop_computer": "laptop"}
FOLDER = "office_caltech10_images"


def ten_classes(name: str, folder: Path) -> DomainData:
    """The 10 Office-Caltech classes from ``folder``'s class folders (Office-31 names mapped), labelled in sorted order."""
    paths, labels, classes = read_class_folders(folder, OFFICE31_NAMES)
    found = {classes[k] for k in set(labels)}
    missing, extra = [c for c in CLASSES if c not in found], [c for c in classes if c not in CLASSES]
    if missing or extra:
        problems = ([f"has no images of class {', '.join(missing)}"] if missing else []) + ([f"has the extra class folder {', '.join(extra)}"] if extra else [])
        fixes = (["restore the missing class"] if missing else []) + (["move the extra folder out"] if extra else [])
        raise DataError(
            f"Domain '{name}' {' and '.join(problems)} under '{folder}'; the domains of a pair must share the 10 Office-Caltech"
            f" classes ({', '.join(CLASSES)}), so {' and '.join(fixes)}."
        )
    return DomainData(name, len(CLASSES), {"all": image_split(paths, labels)}, list(CLASSES))


def office_caltech_domain(name: str, domain: str):
    def load(root: Path, cache: Path) -> DomainData:
        folder = root / FOLDER / domain
        if not folder.is_dir():
            raise DataError(f"Domain '{name}' is missing '{folder}'; expected layout under the data root: {FOLDER}/{domain}/<class>/*.jpg.")
        return ten_classes(name, folder)

    return load


def office31_layout(domain: str, lists: list[str]) -> str:
    return (
        f"list file {' or '.join(lists)} with images under office31/, or office31/{domain}/images/<class>/*.jpg (31 classes,"
        f" or the 10 Office-Caltech classes alone), or {FOLDER}/{domain}/<class>/*.jpg (the 10-class subset)"
    )


def office31_domain(name: str, domain: str, lists: list[str]):
    """A list file whose images are present (31 classes); else ``office31/<d>/images`` class folders (31 classes, or
    at most 10: the Office-Caltech subset); else the Office-Caltech folder of the domain (10 classes)."""

    def load(root: Path, cache: Path) -> DomainData:
        base, tree = root / "office31", root / "office31" / domain / "images"
        listed = next((root / rel for rel in lists if (root / rel).exists()), None)
        folders = [f for f in (tree, root / FOLDER / domain) if f.is_dir()]
        if listed is not None and not (folders and images_absent(listed, base)):
            return DomainData(name, 31, {"all": image_split(*read_list(listed, base))})
        if not folders:
            raise DataError(f"Domain '{name}' found no list file or class folder under '{root}'; expected layout: {office31_layout(domain, lists)}.")
        if folders[0] == tree and sum(d.is_dir() for d in tree.iterdir()) > len(CLASSES):
            paths, labels, classes = read_class_folders(tree)
            return DomainData(name, 31, {"all": image_split(paths, labels)}, classes)
        return ten_classes(name, folders[0])

    return load


def images_absent(list_file: Path, base: Path) -> bool:
    """Whether a list file's first image is nowhere under ``base`` (a list without its images)."""
    pairs = read_pairs(list_file)
    return bool(pairs) and resolve_prefix(pairs[0][0], base) is None


OBTAIN_CALTECH = "the Office-Caltech-10 images (GitHub ZhangJUJU/OfficeCaltechDomainAdaptation, images/)"

for _d in ("amazon", "dslr", "webcam"):
    _lists = [f"office31/{_d}_list.txt", f"office31_image_lists/{_d}_list.txt", f"office31/image_list/{_d}.txt"]
    register_domain(
        DomainSpec(
            f"office31_{_d}",
            f"Office-31 {_d} (Saenko et al. 2010), 31 classes, or the 10 Office-Caltech classes where only they are present"
            f" ({FOLDER}/{_d} or office31/{_d}/images; back_pack, laptop_computer read as backpack, laptop)",
            31,
            office31_domain(f"office31_{_d}", _d, _lists),
            office31_layout(_d, _lists),
            "the Office-31 archive (domain_adaptation_images) plus the DAN/TLlib list files; for the 10-class subset, " + OBTAIN_CALTECH,
        )
    )
for _d, _folder, _n in (("amazon", "amazon", 958), ("caltech", "caltech10", 1123), ("dslr", "dslr", 157), ("webcam", "webcam", 295)):
    register_domain(
        DomainSpec(
            f"office_caltech_{_d}",
            f"Office-Caltech-10 {_d} (Gong et al. 2012), {_n:,} images of 10 classes"
            + ("" if _d == "caltech" else f", the Office-31 {_d} images of those classes"),
            len(CLASSES),
            office_caltech_domain(f"office_caltech_{_d}", _folder),
            f"{FOLDER}/{_folder}/<class>/*.jpg",
            OBTAIN_CALTECH,
            lineage=None if _d == "caltech" else Lineage(f"office31_{_d}"),
        )
    )
