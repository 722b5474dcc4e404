"""A battery of bad inputs, tried as a new user would, through the real command line (``da_bench.cli.main``).

Each must give: exit code 2, exactly one line on stderr that starts ``da-bench: error:`` and names the
offending key or file, no traceback anywhere, and nothing on disk changed (work folder and data root).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest
import torch

from da_bench.cli import main

TOY = ["source=moons", "target=moons_rot35", "backbone=mlp", "head_hidden=[]", "steps=4", "eval_every=2", "batch_size=8", "threads=1"]
SWEEP_BASE = "base: {source: moons, target: moons_rot35, backbone: mlp, head_hidden: [], steps: 4, eval_every: 2, batch_size: 8, threads: 1}\n"

# (id, argv after 'run', fragment the one line must contain)
RUN_CASES = [
    ("unknown key", ["lrr=0.1"], "'lrr'"),
    ("lr not a number", ["lr=fast"], "'lr'"),
    ("lr negative", ["lr=-0.1"], "'lr'"),
    ("lr zero", ["lr=0"], "'lr'"),
    ("steps zero", ["steps=0"], "'steps'"),
    ("steps not multiple", ["steps=100", "eval_every=30"], "'eval_every'"),
    ("eval_every negative", ["eval_every=-5"], "'eval_every'"),
    ("batch zero", ["batch_size=0"], "'batch_size'"),
    ("batch float", ["batch_size=1.5"], "'batch_size'"),
    ("seed negative", ["seed=-1"], "'seed'"),
    ("seed text", ["seed=abc"], "'seed'"),
    ("momentum negative", ["momentum=-1"], "'momentum'"),
    ("momentum above one", ["momentum=1.5"], "'momentum'"),
    ("weight decay negative", ["weight_decay=-1"], "'weight_decay'"),
    ("lr_alpha negative", ["lr_alpha=-1"], "'lr_alpha'"),
    ("lr_beta negative", ["lr_beta=-1"], "'lr_beta'"),
    ("backbone lr mult negative", ["backbone_lr_mult=-1"], "'backbone_lr_mult'"),
    ("bottleneck negative", ["bottleneck_dim=-1"], "'bottleneck_dim'"),
    ("precision typo", ["precision=bf16"], "'precision'"),
    ("precision 64", ["precision=64"], "'precision'"),
    ("mode typo", ["mode=udaa"], "'mode'"),
    ("multitask with target", ["mode=multitask"], "target"),
    ("uda without target", ["target=null"], "'target'"),
    ("val fraction above one", ["val_fraction=1.5"], "'val_fraction'"),
    ("val fraction zero", ["val_fraction=0"], "'val_fraction'"),
    ("target test fraction one", ["target_test_fraction=1"], "'target_test_fraction'"),
    ("k_shot negative", ["k_shot=-1"], "'k_shot'"),
    ("method typo", ["method=dnn"], "'dnn'"),
    ("method number", ["method=5"], "'method'"),
    ("source typo", ["source=mnistt"], "'mnistt'"),
    ("target typo", ["target=uspss"], "'uspss'"),
    ("backbone typo", ["backbone=resnet5"], "'resnet5'"),
    ("backbone args unknown", ["backbone=dann_digits", "backbone_args={foo: 1}"], "'foo'"),
    ("backbone args typo", ["backbone_args={hiden: [3]}"], "'hiden'"),
    ("backbone args wrong type", ["backbone_args={dropout: high}"], "'backbone_args.dropout'"),
    ("backbone args not a mapping", ["backbone_args=5"], "'backbone_args'"),
    ("mlp activation typo", ["backbone_args={activation: swish}"], "'swish'"),
    ("pretrained on a network without weights", ["backbone=dann_digits", "pretrained=imagenet"], "'pretrained'"),
    ("losses entry not a mapping", ["method=dann", "losses.dann=5"], "'losses.dann'"),
    ("loss hyperparameter wrong type", ["method=dann", "losses.dann.width=wide"], "'losses.dann.width'"),
    ("loss hyperparameter typo", ["method=dann", "losses.dann.widht=3"], "'widht'"),
    ("loss weight text", ["method=dann", "losses.dann.weight=high"], "'losses.dann.weight'"),
    ("loss schedule typo", ["method=dann", "losses.dann.schedule=rampp"], "'rampp'"),
    ("grl schedule typo", ["method=dann", "losses.dann.grl_schedule=linear"], "'linear'"),
    ("grl gamma without the ramp", ["method=dann", "losses.dann.grl_schedule=constant", "losses.dann.grl_gamma=4"], "grl_gamma"),
    ("image fit typo", ["image_fit=crop"], "'image_fit'"),
    ("override split by the shell", ["backbone_args={activation:", "relu}"], "not valid YAML"),
    ("bottleneck dropout of one", ["bottleneck_dim=8", "bottleneck_dropout=1.0"], "'bottleneck_dropout'"),
    ("mmd estimator typo", ["method=dan", "losses.mmd.estimator=cubic"], "'cubic'"),
    ("unknown loss", ["losses.nope.weight=1"], "'nope'"),
    ("losses not a mapping", ["losses=[dann]"], "'losses'"),
    ("optimizer typo", ["optimizer=rmsprop"], "'optimizer'"),
    ("device unknown", ["device=tpu"], "'device'"),
    ("logger typo", ["loggers=[csvv]"], "'loggers'"),
    ("loggers not a list", ["loggers=csv"], "'loggers'"),
    ("head hidden zero", ["head_hidden=[100,0]"], "'head_hidden'"),
    ("head hidden scalar", ["head_hidden=5"], "'head_hidden'"),
    ("threads zero", ["threads=0"], "'threads'"),
    ("num workers negative", ["num_workers=-1"], "'num_workers'"),
    ("image size zero", ["image_size=0"], "'image_size'"),
    ("validator samples zero", ["validator_samples=0"], "'validator_samples'"),
    ("task not a mapping", ["tasks={parity: 3}"], "'tasks.parity'"),
    (
        "task label map typo",
        ["source=mnist5k", "target=null", "mode=multitask", "backbone=dann_digits", "head_hidden=[8]", "tasks={parity: {labels: parityy}}"],
        "'parityy'",
    ),
    ("channels_last not bool", ["channels_last=maybe"], "'channels_last'"),
    ("nesterov number", ["nesterov=1"], "'nesterov'"),
    ("override without equals", ["lr"], "'lr'"),
    ("override through a scalar", ["lr.x=1"], "'lr'"),
    ("source empty list", ["source=[]"], "'source'"),
    ("same domain both sides", ["target=moons"], "moons"),
    ("k_shot larger than a class", ["k_shot=1000"], "k_shot"),
]


def snapshot(*roots: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under ``roots``; files with size and modification time (a folder's own
    time changes when an entry comes and goes again, which leaves nothing behind)."""
    seen = {}
    for root in roots:
        for path in [root, *root.rglob("*")]:
            st = path.stat()
            seen[str(path)] = (0, 0) if path.is_dir() else (st.st_size, st.st_mtime_ns)
    return seen


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    return tmp_path


def refused(argv: list[str], fragment: str, capsys, *watch: Path) -> str:
    """Run the CLI and check the contract; returns the error line."""
    before = snapshot(*watch)
    code = main(argv)
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2, (code, captured.err, captured.out)
    assert len(lines) == 1 and lines[0].startswith("da-bench: error: "), captured.err
    assert fragment in lines[0], lines[0]
    assert "Traceback" not in captured.err + captured.out
    assert snapshot(*watch) == before, "a refused input changed files on disk"
    return lines[0]


@pytest.mark.parametrize("overrides,fragment", [c[1:] for c in RUN_CASES], ids=[c[0] for c in RUN_CASES])
def test_run_refuses(overrides, fragment, work, capsys):
    refused(["run", *TOY, *overrides, "--out", str(work / "out")], fragment, capsys, work)


def test_device_cuda_without_a_gpu(work, capsys):
    if torch.cuda.is_available():
        pytest.skip("a CUDA GPU is visible, so device=cuda is valid here")
    refused(["run", *TOY, "device=cuda", "--out", str(work / "out")], "'device'", capsys, work)


CONFIG_FILES = [
    ("missing", None, "missing.yaml"),
    ("invalid yaml", "lr: [unclosed\n", "cfg.yaml"),
    ("a list", "- lr\n- 0.1\n", "cfg.yaml"),
    ("unknown key", "lrr: 0.1\n", "'lrr'"),
    ("binary", b"\x00\x01\x02\xff", "cfg.yaml"),
]


@pytest.mark.parametrize("text,fragment", [c[1:] for c in CONFIG_FILES], ids=[c[0] for c in CONFIG_FILES])
def test_run_refuses_config_file(text, fragment, work, capsys):
    path = work / ("missing.yaml" if text is None else "cfg.yaml")
    if isinstance(text, bytes):
        path.write_bytes(text)
    elif text is not None:
        path.write_text(text)
    refused(["run", str(path), *TOY, "--out", str(work / "out")], fragment, capsys, work)


PLUGINS = [
    ("syntax error", "def broken(:\n", "bad_plugin.py"),
    ("failing import", "import not_a_module_anywhere\n", "bad_plugin.py"),
    ("raises", "raise RuntimeError('boom')\n", "bad_plugin.py"),
    (
        "vector loss",
        "from da_bench import AdaptationLoss, register_loss\n@register_loss('battery_vector')\nclass V(AdaptationLoss):\n"
        "    def forward(self, out):\n        return out.source_features.sum(1)\n",
        "'battery_vector'",
    ),
    (
        "float loss",
        "from da_bench import AdaptationLoss, register_loss\n@register_loss('battery_float')\nclass F(AdaptationLoss):\n"
        "    def forward(self, out):\n        return 0.5\n",
        "'battery_float'",
    ),
    (
        "duplicate name",
        "from da_bench import AdaptationLoss, register_loss\n@register_loss('dann')\nclass D(AdaptationLoss):\n"
        "    def forward(self, out):\n        return out.source_features.sum() * 0\n",
        "'dann'",
    ),
]


@pytest.mark.parametrize("code,fragment", [c[1:] for c in PLUGINS], ids=[c[0] for c in PLUGINS])
def test_run_refuses_plugin(code, fragment, work, capsys):
    plugin = work / "bad_plugin.py"
    plugin.write_text(code)
    method = fragment.strip("'") if fragment.startswith("'battery") else "source_only"
    refused(["--plugin", str(plugin), "run", *TOY, f"method={method}", "--out", str(work / "out")], fragment, capsys, work)


def test_missing_plugin_file(work, capsys):
    refused(["--plugin", str(work / "nope.py"), "run", *TOY], "nope.py", capsys, work)


SWEEPS = [
    ("unknown key", "method: [dann]\n", "'method'"),
    ("methods as a string", "methods: dann\n", "'methods'"),
    ("methods typo", "methods: [dnn]\n", "'dnn'"),
    ("grid value not a list", "grid: {lr: 0.1}\n", "'grid.lr'"),
    ("grid not a mapping", "grid: 5\n", "'grid'"),
    ("grid empty list", "grid: {lr: []}\n", "'grid.lr'"),
    ("grid bad value", "grid: {lr: [0.1, -1]}\n", "'lr'"),
    ("pair without arrow", "pairs: [moons]\n", "'moons'"),
    ("pair of one", "pairs: [[moons]]\n", "pair"),
    ("pairs as a string", "pairs: moons->moons_rot35\n", "'pairs'"),
    ("seeds scalar", "seeds: 3\n", "'seeds'"),
    ("seeds negative", "seeds: [-1]\n", "'seed'"),
    ("seeds text", "seeds: [a]\n", "'seed'"),
    ("random search not a mapping", "random_search: 5\n", "'random_search'"),
    ("random search zero trials", "random_search: {trials: 0}\n", "'random_search.trials'"),
    ("random search typo", "random_search: {trial: 2}\n", "'trial'"),
    ("name with a path", "name: ../runs/x/record\n", "name"),
    ("name absolute", "name: /tmp/elsewhere\n", "name"),
    ("method overrides not a mapping", "methods: [dann]\nmethod_overrides: {dann: 5}\n", "'method_overrides.dann'"),
    ("method overrides unknown method", "methods: [dann]\nmethod_overrides: {cdan: {lr: 0.1}}\n", "'cdan'"),
    ("base not a mapping", "base: 5\n", "'base'"),
    ("base unknown key", "base: {lrr: 1}\n", "'lrr'"),
    ("extends missing", "extends: missing.yaml\n", "missing.yaml"),
    ("extends itself", "extends: sweep.yaml\n", "sweep.yaml"),
    ("empty file", "", "sweep.yaml"),
]


@pytest.mark.parametrize("text,fragment", [c[1:] for c in SWEEPS], ids=[c[0] for c in SWEEPS])
def test_sweep_refuses(text, fragment, work, capsys):
    sweep = work / "sweep.yaml"
    body = text if text.startswith(("base:", "extends:")) or not text else SWEEP_BASE + text
    sweep.write_text(body)
    refused(["sweep", str(sweep), "--out", str(work / "out")], fragment, capsys, work)


@pytest.mark.parametrize(
    "args,fragment",
    [(["--launcher", "slurmm"], "'slurmm'"), (["--workers", "0"], "--workers"), (["--workers", "-2"], "--workers"), (["--workers", "two"], "--workers")],
    ids=["launcher typo", "zero workers", "negative workers", "workers text"],
)
def test_sweep_refuses_launcher_options(args, fragment, work, capsys):
    sweep = work / "sweep.yaml"
    sweep.write_text(SWEEP_BASE)
    refused(["sweep", str(sweep), *args, "--out", str(work / "out")], fragment, capsys, work)


def test_out_that_is_a_file(work, capsys):
    blocker = work / "blocker"
    blocker.write_text("x")
    refused(["run", *TOY, "--out", str(blocker)], "blocker", capsys, work)
    sweep = work / "sweep.yaml"
    sweep.write_text(SWEEP_BASE)
    refused(["sweep", str(sweep), "--out", str(blocker)], "blocker", capsys, work)


def test_out_read_only(work, capsys):
    if os.geteuid() == 0:
        pytest.skip("running as root: a read-only folder is still writable, so this case cannot be set up")
    locked = work / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        refused(["run", *TOY, "--out", str(locked)], "locked", capsys, work)
    finally:
        locked.chmod(stat.S_IRWXU)


@pytest.mark.parametrize(
    "args,fragment",
    [(["--format", "pdf"], "--format"), (["--selection", "best"], "'best'"), (["--reference", "nope.csv"], "nope.csv")],
    ids=["format", "selection", "missing reference"],
)
def test_table_refuses_options(args, fragment, work, capsys):
    from helpers import fake_record

    fake_record(work / "out", "r1", "dann", "moons", "moons_rot35", 0, 0.8)
    refused(["table", str(work / "out"), *args], fragment, capsys, work)


def test_table_refuses_missing_folder(work, capsys):
    refused(["table", str(work / "nowhere")], "nowhere", capsys, work)


@pytest.mark.parametrize(
    "argv,fragment",
    [(["download", "mnist5kk"], "'mnist5kk'"), (["download", "mnist5k"], "mnist5k"), (["frobnicate"], "frobnicate"), ([], "command")],
    ids=["download typo", "download bundled", "unknown command", "no command"],
)
def test_other_commands_refuse(argv, fragment, work, capsys):
    refused(argv, fragment, capsys, work)


# ----- bad data files under a data root ------------------------------------------------------------
def save_mat(path: Path, **arrays: np.ndarray) -> None:
    from scipy.io import savemat

    path.parent.mkdir(parents=True, exist_ok=True)
    savemat(path, arrays)


def surf(n_per_class: int = 12, dim: int = 800, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"fts": rng.random((10 * n_per_class, dim)), "labels": np.repeat(np.arange(1, 11), n_per_class)[:, None].astype(float)}


@pytest.fixture
def data_root(tmp_path):
    root = tmp_path / "data"
    save_mat(root / "office_caltech10_surf/dslr_SURF_L10.mat", **surf())
    save_mat(root / "office_caltech10_decaf6/webcam.mat", feas=surf(dim=4096)["fts"], labels=surf()["labels"])
    with_nan = surf()
    with_nan["fts"][5, 3] = np.nan
    save_mat(root / "office_caltech10_surf/webcam_SURF_L10.mat", **with_nan)
    (root / "office_caltech10_surf/amazon_SURF_L10.mat").write_text("version https://git-lfs.github.com/spec/v1\noid sha256:abc\n")
    save_mat(root / "office_caltech10_surf/Caltech10_SURF_L10.mat", fts=surf()["fts"], labels=np.full((120, 1), 42.0))
    (root / "mnist").mkdir()
    (root / "mnist/t10k-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03" + (5).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2 + bytes(100))
    (root / "mnist/t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01" + (5).to_bytes(4, "big") + bytes(5))
    (root / "usps").mkdir()
    (root / "usps/usps.h5").write_text("not hdf5")
    mm = root / "mnist_m/mnist_m_test"
    mm.mkdir(parents=True)
    from PIL import Image

    for i in range(4):
        Image.fromarray(np.full((28, 28, 3), 40 * i, dtype=np.uint8)).save(mm / f"{i:08d}.png")
    (root / "mnist_m/mnist_m_test_labels.txt").write_text("".join(f"{i:08d}.png {i}\n" for i in range(3)))
    lists = root / "office31_image_lists"
    lists.mkdir()
    (lists / "amazon_list.txt").write_text("".join(f"domain_adaptation_images/amazon/images/back_pack/frame_{i:04d}.jpg 0\n" for i in range(5)))
    return root


DATA_CASES = [
    ("mat file that is text", ["source=surf_amazon", "target=surf_dslr"], "amazon_SURF_L10.mat"),
    ("NaN features", ["source=surf_webcam", "target=surf_dslr"], "webcam_SURF_L10.mat"),
    ("feature dims differ", ["source=surf_dslr", "target=decaf_webcam"], "decaf_webcam"),
    ("labels out of range", ["source=surf_caltech", "target=surf_dslr"], "surf_caltech"),
    ("same feature domain", ["source=surf_dslr", "target=surf_dslr"], "surf_dslr"),
    ("truncated IDX", ["source=mnist", "target=usps", "backbone=dann_digits", "head_hidden=[8]"], "t10k-images-idx3-ubyte"),
    ("corrupt h5", ["source=usps", "target=mnist5k", "backbone=dann_digits", "head_hidden=[8]"], "usps.h5"),
    ("label file shorter than images", ["source=sklearn_digits", "target=mnist_m", "backbone=dann_digits", "head_hidden=[8]"], "mnist_m_test_labels.txt"),
    ("image list with missing files", ["source=office31_amazon", "target=office31_webcam", "backbone=dann_digits"], "frame_0000.jpg"),
    ("domain absent from the data root", ["source=svhn", "target=mnist5k", "backbone=dann_digits"], "svhn"),
]


@pytest.mark.parametrize("overrides,fragment", [c[1:] for c in DATA_CASES], ids=[c[0] for c in DATA_CASES])
def test_run_refuses_bad_data(overrides, fragment, work, data_root, capsys):
    argv = ["run", *TOY, *overrides, "--out", str(work / "out"), "--data-root", str(data_root)]
    refused(argv, fragment, capsys, work, data_root)


def test_data_root_that_does_not_exist(work, capsys):
    refused(
        ["run", *TOY, "source=mnist", "target=usps", "backbone=dann_digits", "--data-root", str(work / "nodata"), "--out", str(work / "out")],
        "nodata",
        capsys,
        work,
    )


# classic feature-level methods (da_bench.classic) on the offline moons pair
CLASSIC = ["source=moons", "target=moons_rot35", "threads=1"]
CLASSIC_CASES = [
    ("classic classifier typo", ["method=jda", "classifier=svn"], "'svn'"),
    ("classic method argument typo", ["method=jda", "method_args.dimm=5"], "'dimm'"),
    ("classic preprocess typo", ["method=jda", "preprocess=[zscor]"], "'preprocess'"),
    ("classic reweighting with 1-NN", ["method=kmm", "classifier=1nn"], "classifier=svm"),
    ("classic needs target labels", ["method=tradaboost"], "k_shot"),
    ("classic with a network key", ["method=jda", "lr=0.5"], "'lr'"),
    ("classifier on a network method", ["method=dann", "classifier=svm"], "'classifier'"),
]


@pytest.mark.parametrize("overrides,fragment", [c[1:] for c in CLASSIC_CASES], ids=[c[0] for c in CLASSIC_CASES])
def test_classic_run_refuses(overrides, fragment, work, capsys):
    refused(["run", *CLASSIC, *overrides, "--out", str(work / "out")], fragment, capsys, work)


def test_classic_kernel_too_large_for_memory(work, capsys, monkeypatch):
    monkeypatch.setattr("da_bench.classic.kernels.available_memory", lambda: 2**20)
    refused(["run", *CLASSIC, "method=tca", "method_args={kernel: rbf, dim: 1}", "--out", str(work / "out")], "memory", capsys, work)
