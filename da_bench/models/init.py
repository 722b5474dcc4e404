"""Weight initialisation of a network built from scratch (config key ``weight_init``).

``default`` keeps PyTorch's own initialisation (weights ``kaiming_uniform_(a=sqrt(5))``, i.e. U(-1/sqrt(fan_in),
1/sqrt(fan_in)), biases from the same range). ``xavier`` is Glorot & Bengio (AISTATS 2010, Eq. 16): weights
U(-a, a) with a = sqrt(6 / (fan_in + fan_out)) and zero biases, the default of Keras/TensorFlow and of the
Theano/Caffe-era reference code many published recipes ran on.
"""

from __future__ import annotations

from collections.abc import Iterable

from torch import nn

from da_bench.config import CHOICES

LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def initialise(module: nn.Module, scheme: str, keep: Iterable[nn.Module] = ()) -> None:
    """Re-initialise every linear and convolution layer of ``module`` with ``scheme``, except inside ``keep``
    (e.g. a pretrained backbone); ``default`` leaves everything as built."""
    if scheme not in CHOICES["weight_init"]:
        raise ValueError(f"Unknown weight_init '{scheme}'; choose one of {CHOICES['weight_init']}.")
    if scheme == "default":
        return
    kept = {id(m) for part in keep for m in part.modules()}
    for layer in module.modules():
        if isinstance(layer, LAYERS) and id(layer) not in kept:
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
