"""The ``compile`` option: compiled training follows eager training up to float order."""

from __future__ import annotations

import pytest
import torch

from da_bench.config import ConfigError, RunConfig, from_dict, run_id
from da_bench.methods.compiled import CompileUnavailable, _probe, require_compile
from da_bench.runner.execute import make_trainer, prepare

TOY = {"backbone": "mlp", "backbone_args": {"hidden": [16]}, "source": "moons", "target": "moons_rot35", "method": "dann"}
TOY.update(steps=6, eval_every=6, batch_size=16)


def train_losses(cfg: RunConfig, folder) -> list[float]:
    dm, model = prepare(cfg)
    losses: list[float] = []
    step = type(model).training_step

    def recorded(self, batch, batch_idx):
        loss = step(self, batch, batch_idx)
        losses.append(loss.item())
        return loss

    model.training_step = recorded.__get__(model)
    make_trainer(cfg, folder).fit(model, datamodule=dm)
    return losses


def test_compiled_and_eager_training_give_the_same_losses(tmp_path):
    if _probe("cpu") is not None:
        pytest.skip(f"torch.compile does not work on this CPU: {_probe('cpu')}")
    eager = train_losses(RunConfig(**TOY), tmp_path / "eager")
    torch._dynamo.reset()
    compiled = train_losses(RunConfig(**TOY, compile=True), tmp_path / "compiled")
    assert len(eager) == 6 and torch._dynamo.utils.counters["stats"]["unique_graphs"] > 0  # the compiled run compiled
    assert compiled == pytest.approx(eager, rel=1e-4, abs=1e-5)


def test_compile_is_not_part_of_the_run_id():
    assert run_id(RunConfig(**TOY, compile=True)) == run_id(RunConfig(**TOY))


def test_where_compilation_fails_the_run_is_refused_in_one_sentence(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("no C++ compiler found")

    _probe.cache_clear()
    monkeypatch.setattr(torch, "compile", broken)
    try:
        sentence = r"^compile=true but torch.compile does not work on cpu here \(RuntimeError: no C\+\+ compiler found\); set compile=false"
        with pytest.raises(CompileUnavailable, match=sentence):
            require_compile(torch.device("cpu"))
    finally:
        _probe.cache_clear()


def test_compile_mode_reaches_torch_compile_and_needs_compile(monkeypatch):
    modes = []
    monkeypatch.setattr(torch.nn.Module, "compile", lambda self, **kwargs: modes.append(kwargs.get("mode")))
    dm, model = prepare(RunConfig(**TOY, compile=True, compile_mode="reduce-overhead"))
    model.on_fit_start()
    assert modes and set(modes) == {"reduce-overhead"}  # backbone, bottleneck and every head
    assert run_id(RunConfig(**TOY, compile=True, compile_mode="max-autotune")) == run_id(RunConfig(**TOY))
    with pytest.raises(ConfigError, match="'compile' is false; set compile=true"):
        from_dict({**TOY, "compile_mode": "reduce-overhead"})
    _probe.cache_clear()  # the probe ran under the patched compile
