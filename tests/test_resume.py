"""RNG states travel through a checkpoint file that loads with weights_only=True and restore every generator."""

import random

import numpy as np
import torch

from da_bench.runner.resume import rng_states, set_rng_states


def draws() -> tuple:
    return torch.rand(4).tolist(), np.random.rand(4).tolist(), [random.random() for _ in range(4)]


def test_states_saved_safely_restore_torch_numpy_and_python(tmp_path):
    torch.save({"states": rng_states()}, tmp_path / "c.ckpt")
    expected = draws()
    draws()  # the generators move on, as training would
    set_rng_states(torch.load(tmp_path / "c.ckpt", weights_only=True)["states"])
    assert draws() == expected
