"""Office-Caltech-10 image domains and Office-31's 10-class subset, on tiny generated JPEG trees; one test counts the
shared images against their SOURCE.md."""

import re

import pytest

from da_bench.data.checks import drops_target_test_origins
from da_bench.data.domains import DataError, describe, load_domain

# the 10 classes named in Gong et al. 2012 / the shared data's SOURCE.md, in sorted order
TEN = ["backpack", "bike", "calculator", "headphones", "keyboard", "laptop", "monitor", "mouse", "mug", "projector"]
FOLDERS = {"amazon": "amazon", "caltech": "caltech10", "dslr": "dslr", "webcam": "webcam"}


def counts(offset: int) -> dict[str, int]:
    return {c: 1 + (k + offset) % 3 for k, c in enumerate(TEN)}


def test_the_four_domains_read_ten_classes_in_one_order(tmp_path, jpeg_tree):
    for offset, folder in enumerate(FOLDERS.values()):
        jpeg_tree(tmp_path / "office_caltech10_images" / folder, dict(reversed(counts(offset).items())))  # written out of order
    for offset, domain in enumerate(FOLDERS):
        data = load_domain(f"office_caltech_{domain}", tmp_path)
        split = data.splits["all"]
        assert data.num_classes == 10 and data.class_names == TEN
        assert [data.class_names[y] for y in split.y.tolist()] == [p.parent.name for p in split.x.paths]
        assert [split.y.tolist().count(k) for k in range(10)] == list(counts(offset).values())


@pytest.mark.parametrize(
    "change,fragments",
    [
        ("missing", ["office_caltech_dslr", "no images of class mug", "restore the missing class"]),
        ("empty", ["office_caltech_dslr", "no images of class mug", "restore the missing class"]),
        ("extra", ["office_caltech_dslr", "extra class folder cup", "move the extra folder out"]),
    ],
)
def test_a_class_folder_missing_or_extra_in_one_domain_is_one_sentence(tmp_path, jpeg_tree, change, fragments):
    folder = tmp_path / "office_caltech10_images" / "dslr"
    jpeg_tree(folder, counts(0))
    if change == "extra":
        jpeg_tree(folder, {"cup": 2})
    else:
        for f in (folder / "mug").iterdir():
            f.unlink()
        if change == "missing":
            (folder / "mug").rmdir()
    with pytest.raises(DataError) as err:
        load_domain("office_caltech_dslr", tmp_path)
    message = str(err.value)
    assert all(f in message for f in fragments) and "share the 10 Office-Caltech classes" in message
    assert "\n" not in message and message.count(". ") == 0  # one sentence


def test_office31_reads_a_ten_class_tree_under_the_office_caltech_names(tmp_path, jpeg_tree):
    office31 = {("back_pack" if c == "backpack" else "laptop_computer" if c == "laptop" else c): n for c, n in counts(1).items()}
    jpeg_tree(tmp_path / "office31" / "webcam" / "images", office31)
    data = load_domain("office31_webcam", tmp_path)
    split = data.splits["all"]
    assert data.num_classes == 10 and data.class_names == TEN
    renamed = {"back_pack": "backpack", "laptop_computer": "laptop"}
    assert [data.class_names[y] for y in split.y.tolist()] == [renamed.get(p.parent.name, p.parent.name) for p in split.x.paths]
    assert describe("office31_webcam", tmp_path)["classes"] == 10


def test_office31_falls_back_to_the_office_caltech_folder_when_its_list_has_no_images(tmp_path, jpeg_tree):
    (tmp_path / "office31_image_lists").mkdir()
    (tmp_path / "office31_image_lists" / "amazon_list.txt").write_text("/x/domain_adaptation_images/amazon/images/bike/frame_0001.jpg 1\n")
    with pytest.raises(DataError, match="was not found under"):  # the list alone: its own error, as before
        load_domain("office31_amazon", tmp_path)
    jpeg_tree(tmp_path / "office_caltech10_images" / "amazon", counts(0))
    data = load_domain("office31_amazon", tmp_path)
    assert data.class_names == TEN and len(data.splits["all"]) == sum(counts(0).values())
    with pytest.raises(DataError, match="both hold samples of 'office31_amazon'"):  # the same images on both sides
        drops_target_test_origins("office31_amazon", "office_caltech_amazon")


def test_office31_list_with_its_images_keeps_31_classes_beside_the_subset(tmp_path, jpeg_tree):
    jpeg_tree(tmp_path / "office31" / "domain_adaptation_images" / "dslr" / "images", {"back_pack": 2, "trash_can": 2})
    lines = [f"/x/domain_adaptation_images/dslr/images/{c}/frame_{i:04d}.jpg {y}" for c, y in (("back_pack", 0), ("trash_can", 30)) for i in range(2)]
    (tmp_path / "office31_image_lists").mkdir()
    (tmp_path / "office31_image_lists" / "dslr_list.txt").write_text("\n".join(lines) + "\n")
    jpeg_tree(tmp_path / "office_caltech10_images" / "dslr", counts(0))
    data = load_domain("office31_dslr", tmp_path)
    assert data.num_classes == 31 and data.splits["all"].y.tolist() == [0, 0, 30, 30]


def test_the_shared_images_match_the_counts_of_their_source_file(shared_root):
    folder = shared_root / "office_caltech10_images"
    if not folder.is_dir():
        pytest.skip(f"Office-Caltech-10 images not found at {folder}")
    rows = re.findall(r"^\| (\w+) \| ([\d,]+) \| ([\d,]+) \| ([\d,]+) \| ([\d,]+) \|$", (folder / "SOURCE.md").read_text(), re.M)
    table = {name: [int(n.replace(",", "")) for n in ns] for name, *ns in rows}
    assert sorted(table) == TEN
    for column, domain in enumerate(FOLDERS):
        data = load_domain(f"office_caltech_{domain}", shared_root)
        y = data.splits["all"].y.tolist()
        assert {c: y.count(k) for k, c in enumerate(data.class_names)} == {c: table[c][column] for c in TEN}, domain


def test_office31_class_folders_beyond_ten_keep_the_31_class_label_space(tmp_path, jpeg_tree):
    office31 = {("back_pack" if c == "backpack" else c): n for c, n in counts(0).items()}
    jpeg_tree(tmp_path / "office31" / "amazon" / "images", {**office31, "trash_can": 1})
    data = load_domain("office31_amazon", tmp_path)
    assert data.num_classes == 31 and data.class_names[0] == "back_pack" and data.class_names[-1] == "trash_can"
