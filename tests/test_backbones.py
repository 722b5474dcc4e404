import pytest
import torch

from da_bench.registry import BACKBONES, UnknownNameError


@pytest.mark.parametrize("name,shape,out_dim", [("dann_digits", (2, 3, 28, 28), 768), ("lenet", (2, 1, 28, 28), 500), ("dtn", (2, 3, 32, 32), 512)])
def test_digit_networks(name, shape, out_dim):
    net = BACKBONES.get(name)(in_channels=shape[1])
    assert net(torch.randn(shape)).shape == (2, out_dim) and net.out_dim == out_dim


@pytest.mark.parametrize(
    "name,channels,side,conv_side",
    # conv 5x5 + pool 2, twice: 32 -> 28 -> 14 -> 10 -> 5; 20 -> 16 -> 8 -> 4 -> 2. DTN's padded stride-2 convs: 28 -> 14 -> 7 -> 4.
    [("dann_digits", 3, 32, 5), ("dann_digits", 3, 20, 2), ("lenet", 1, 32, 5), ("dtn", 3, 28, 4)],
)
def test_digit_networks_are_built_for_the_image_side(name, channels, side, conv_side):
    net = BACKBONES.get(name)(in_channels=channels, image_side=side)
    flat = next(m for m in net.modules() if isinstance(m, torch.nn.Linear)).in_features if name != "dann_digits" else net.out_dim
    maps = {"dann_digits": 48, "lenet": 50, "dtn": 256}[name]
    assert flat == maps * conv_side**2
    assert net(torch.randn(2, channels, side, side)).shape == (2, net.out_dim)


def test_digit_network_refuses_images_too_small_in_one_sentence():
    with pytest.raises(ValueError, match="12x12 images are too small .* use image_size 16 or more"):
        BACKBONES.get("dann_digits")(in_channels=3, image_side=12)


def test_mlp_and_resnet():
    assert BACKBONES.get("mlp")(in_dim=5, hidden=[7, 3])(torch.randn(4, 5)).shape == (4, 3)
    net = BACKBONES.get("resnet18")(in_channels=3)
    assert net(torch.randn(1, 3, 64, 64)).shape == (1, 512)


def test_resnet_local_checkpoint_loaded_weights_only(tmp_path):
    import torchvision

    reference = torchvision.models.resnet18(weights=None)
    path = tmp_path / "r18.pth"
    torch.save(reference.state_dict(), path)
    net = BACKBONES.get("resnet18")(pretrained=str(path))
    assert torch.equal(net.body.conv1.weight, reference.conv1.weight)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        BACKBONES.get("resnet18")(pretrained=str(tmp_path / "missing.pth"))


def test_efficientnet_lite0_pretrained_offline():
    import skimage.data
    from PIL import Image

    from da_bench.data.pipeline import photo_transform, pipeline_of

    net = BACKBONES.get("efficientnet_lite0")()
    net.eval()
    x = photo_transform(pipeline_of("efficientnet_lite0"), train=False)(Image.fromarray(skimage.data.chelsea()))[None]
    with torch.no_grad():
        features = net(x)
        logits = net.body.net._fc(features)
    assert features.shape == (1, 1280)
    assert int(logits.argmax()) in range(281, 286)  # the ImageNet cat classes: the shipped weights work


def test_unknown_backbone_suggests_closest():
    with pytest.raises(UnknownNameError, match="Did you mean 'resnet50'"):
        BACKBONES.get("resnet5")


@pytest.fixture
def offline_hub(tmp_path, monkeypatch):
    """An empty torch hub folder on a machine without network: a download attempt fails as urllib fails offline."""
    import urllib.error

    def no_network(url, *args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(torch.hub, "download_url_to_file", no_network)
    return tmp_path / "torch" / "hub" / "checkpoints"


def test_resnet50_weights_absent_offline_name_where_to_put_them(offline_hub):
    with pytest.raises(FileNotFoundError) as err:
        BACKBONES.get("resnet50")(pretrained="IMAGENET1K_V2")
    message = str(err.value)
    assert f"put 'resnet50-11ad3fa6.pth' (from https://download.pytorch.org/models/resnet50-11ad3fa6.pth) in '{offline_hub}'" in message
    assert "pretrained=<path to a local .pth>" in message and "\n" not in message


def test_torchvision_weights_in_the_cache_load_offline(offline_hub):
    import torchvision

    reference = torchvision.models.resnet18(weights=None)
    offline_hub.mkdir(parents=True)
    torch.save(reference.state_dict(), offline_hub / "resnet18-f37072fd.pth")  # the file name of torchvision's IMAGENET1K_V1 URL
    net = BACKBONES.get("resnet18")(pretrained="IMAGENET1K_V1")
    assert torch.equal(net.body.conv1.weight, reference.conv1.weight)
    with pytest.raises(UnknownNameError, match="Unknown resnet18 weights 'IMAGENET'. Did you mean 'IMAGENET1K_V1'"):
        BACKBONES.get("resnet18")(pretrained="IMAGENET")
