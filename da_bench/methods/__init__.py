"""Deep domain-adaptation methods. Where to look:

- :mod:`~da_bench.methods.spec`: what a method is (``MethodSpec``: description, loss terms, search space, class),
  ``register_method`` and the built-in loss methods;
- :mod:`~da_bench.methods.terms`: a run's loss terms and search space (the config's ``losses`` block applied);
- :mod:`~da_bench.methods.network`: the backbone with its checked arguments;
- :mod:`~da_bench.methods.tasks`: the label task and multi-task heads (label maps);
- :mod:`~da_bench.methods.module`: ``Method``, the LightningModule (forward, losses, optimisers, progress);
- :mod:`~da_bench.methods.custom`: methods that own their training step (``CustomStepMethod``, ``AlternatingMethod``);
- :mod:`~da_bench.methods.evaluation`: accuracies and validator scores of one evaluation point;
- :mod:`~da_bench.methods.build`: the method object of a run;
- :mod:`~da_bench.methods.mcd`, :mod:`~da_bench.methods.mdd`, :mod:`~da_bench.methods.adda`,
  :mod:`~da_bench.methods.fixmatch`: built-in method classes (MCD's own step, MDD's adversary, ADDA's two stages,
  FixMatch's pseudo-labels);
- :mod:`~da_bench.methods.shot`: SHOT, source-free (a source stage, then target data alone);
- :mod:`~da_bench.methods.test_time`: TENT and BN adaptation, test-time (online on the target test stream).
"""

from da_bench.methods import adda, fixmatch, mcd, mdd, shot, test_time  # noqa: F401 - registers the built-in method classes
from da_bench.methods.build import build_method, method_class
from da_bench.methods.custom import AlternatingMethod, CustomStepMethod
from da_bench.methods.divergence import DivergedError
from da_bench.methods.module import Inputs, Method
from da_bench.methods.network import backbone_arguments
from da_bench.methods.spec import LossTerm, MethodSpec, register_method, resolve_method
from da_bench.methods.tasks import LABEL_MAPS
from da_bench.methods.terms import loss_terms, search_space

__all__ = [
    "AlternatingMethod",
    "CustomStepMethod",
    "DivergedError",
    "Inputs",
    "LABEL_MAPS",
    "LossTerm",
    "Method",
    "MethodSpec",
    "backbone_arguments",
    "build_method",
    "loss_terms",
    "method_class",
    "register_method",
    "resolve_method",
    "search_space",
]
