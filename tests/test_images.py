"""Image-list and class-folder domains on tiny generated trees in the real layouts."""

import numpy as np
import pytest
import torch
from PIL import Image

from da_bench.config import from_dict
from da_bench.data.datamodule import PairedDataModule
from da_bench.data.domains import DataError, load_domain

CLASSES = ["back_pack", "bike"]


def office31_tree(root, domain: str, per_class: int = 3, prefix: str = "/home/someone/data/") -> None:
    lines = []
    for label, cls in enumerate(CLASSES):
        folder = root / "office31" / "domain_adaptation_images" / domain / "images" / cls
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            Image.fromarray(np.full((40, 30, 3), 60 * label + i, dtype=np.uint8)).save(folder / f"frame_{i:04d}.jpg")
            lines.append(f"{prefix}domain_adaptation_images/{domain}/images/{cls}/frame_{i:04d}.jpg {label}")
    (root / "office31_image_lists").mkdir(exist_ok=True)
    (root / "office31_image_lists" / f"{domain}_list.txt").write_text("\n".join(lines) + "\n")


def test_list_with_foreign_prefix_resolves_against_root(tmp_path):
    office31_tree(tmp_path, "amazon")
    data = load_domain("office31_amazon", tmp_path)
    split = data.splits["all"]
    assert len(split) == 6 and split.y.tolist() == [0, 0, 0, 1, 1, 1]
    image, label = split.x[4]
    assert image.size == (30, 40) and label == 1


def test_list_without_its_images_is_named(tmp_path):
    (tmp_path / "office31_image_lists").mkdir()
    (tmp_path / "office31_image_lists" / "amazon_list.txt").write_text("/x/domain_adaptation_images/amazon/images/bike/frame_0001.jpg 1\n")
    with pytest.raises(DataError, match="frame_0001.jpg' from .*amazon_list.txt' was not found under"):
        load_domain("office31_amazon", tmp_path)


def test_listed_images_that_are_missing_stop_at_set_up(tmp_path):
    office31_tree(tmp_path, "webcam")
    folder = tmp_path / "office31" / "domain_adaptation_images" / "webcam" / "images"
    (folder / "back_pack" / "frame_0002.jpg").unlink()
    (folder / "bike" / "frame_0001.jpg").unlink()
    with pytest.raises(DataError, match=r"2 of the 6 images listed in '.*webcam_list.txt' are missing, the first '.*back_pack/frame_0002.jpg'"):
        load_domain("office31_webcam", tmp_path)


def test_list_line_without_a_label_is_named(tmp_path):
    office31_tree(tmp_path, "dslr", per_class=1)
    lists = tmp_path / "office31_image_lists" / "dslr_list.txt"
    lists.write_text(lists.read_text() + "/x/domain_adaptation_images/dslr/images/bike/frame_0000.jpg\n")
    with pytest.raises(DataError, match="Line 3 of .*dslr_list.txt"):
        load_domain("office31_dslr", tmp_path)


def test_class_folder_layout(tmp_path):
    for k, cls in enumerate(["Alarm_Clock", "Backpack"]):
        (tmp_path / "office_home" / "Art" / cls).mkdir(parents=True)
        for i in range(2):
            Image.fromarray(np.zeros((8, 8, 3), dtype=np.uint8)).save(tmp_path / "office_home" / "Art" / cls / f"{i}.jpg")
    data = load_domain("officehome_art", tmp_path)
    assert data.class_names == ["Alarm_Clock", "Backpack"] and data.splits["all"].y.tolist() == [0, 0, 1, 1]


def test_corrupt_image_names_the_file(tmp_path):
    office31_tree(tmp_path, "dslr", per_class=1)
    bad = tmp_path / "office31" / "domain_adaptation_images" / "dslr" / "images" / "bike" / "frame_0000.jpg"
    bad.write_bytes(b"garbage")
    split = load_domain("office31_dslr", tmp_path).splits["all"]
    with pytest.raises(DataError, match="frame_0000.jpg"):
        split.x[1]


def test_image_pair_data_module_uses_workers_and_standard_transforms(tmp_path):
    office31_tree(tmp_path, "amazon", per_class=4)
    office31_tree(tmp_path, "webcam", per_class=4)
    cfg = from_dict(
        {
            "source": "office31_amazon",
            "target": "office31_webcam",
            "backbone": "resnet18",
            "data_root": str(tmp_path),
            "batch_size": 2,
            "steps": 2,
            "eval_every": 1,
            "num_workers": 0,
            "image_size": 64,
            "target_test_fraction": 0.5,
        }
    )
    dm = PairedDataModule(cfg)
    dm.setup("fit")
    batch = next(iter(dm.train_dataloader()))
    assert batch["source"][0].shape == (2, 3, 64, 64) and isinstance(batch["target"], torch.Tensor)
    assert abs(float(batch["source"][0].mean())) < 3  # ImageNet-normalised


def test_an_image_that_does_not_decode_in_a_worker_is_one_sentence(tmp_path, jpeg_tree):
    jpeg_tree(tmp_path / "office_home" / "Art", {"a": 1, "b": 1}, size=(64, 64))
    bad = tmp_path / "office_home" / "Art" / "b" / "frame_0000.jpg"
    bad.write_bytes(bad.read_bytes()[:-60])  # truncated: the header opens, the pixels do not decode
    split = load_domain("officehome_art", tmp_path).splits["all"]
    loader = torch.utils.data.DataLoader(split.x, batch_size=1, num_workers=1, collate_fn=list)
    with pytest.raises(DataError) as err:
        list(loader)
    assert str(err.value).startswith(f"Image '{bad}' does not decode (") and str(err.value).endswith("; replace the file.")
    assert "\n" not in str(err.value) and "Traceback" not in str(err.value)
