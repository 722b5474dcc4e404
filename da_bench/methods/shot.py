"""SHOT: source hypothesis transfer (Liang et al., "Do We Really Need to Access the Source Data? Source Hypothesis
Transfer for Unsupervised Domain Adaptation", ICML 2020), a source-free method.

One run whose training batches are split by progress. The first ``source_fraction`` of them train the whole network
on the source with label smoothing (Eq. 1, epsilon 0.1). The rest freeze the classifier h (the source hypothesis)
and train the feature extractor g (backbone + bottleneck) on target batches alone, the source batch never read, with
L = L_ent + L_div (information maximisation, Eq. 2-3: the mean prediction entropy minus the entropy of the mean
prediction) + beta CE(pseudo-labels) (Sec. 3.3, beta = 0.3). Pseudo-labels come from the class centroids of Eq. 4-6:
target features averaged with softmax weights, hard labels by the nearest centroid (cosine distance), one refinement
with those labels. The paper clusters the whole target set once per epoch and keeps a label per sample; target
batches carry no sample index here, so the refined centroids are computed over the whole unlabeled target split (eval
mode, no gradient, as the authors' code) at the first target batch and after every pass over it
(ceil(n / batch_size) batches), and each batch sample takes the class of the centroid nearest its own features.
Each stage has its own learning-rate schedule (the config's, over the stage's batches: the paper trains the two
stages separately). The classifier is the config's head (the paper's is weight-normalised).

The record keeps both stages: each evaluation point carries ``stage``, 'source' up to the last source batch, then
'adapted'; selection rules choose among the adapted points (:func:`da_bench.selection.select_point`).
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from da_bench.losses.base import full_precision
from da_bench.losses.entropy import prediction_entropy
from da_bench.methods.custom import CustomStepMethod
from da_bench.methods.module import Inputs
from da_bench.methods.spec import register_method


def information_maximisation(logits: Tensor) -> Tensor:
    """L_ent + L_div (Eq. 2-3): the mean per-sample prediction entropy minus the entropy of the mean prediction."""
    with full_precision(logits):
        p = logits.float().softmax(1)
        return prediction_entropy(p).mean() - prediction_entropy(p.mean(0, keepdim=True))[0]


def nearest_centroid(features: Tensor, centroids: Tensor) -> Tensor:
    """The class of each feature's nearest centroid under the cosine distance 1 - cos (Eq. 5-6)."""
    return (F.normalize(features.float(), dim=1) @ F.normalize(centroids.float(), dim=1).T).argmax(1)


def cluster_centroids(features: Tensor, probs: Tensor) -> Tensor:
    """Eq. 4-6: centroids weighted by the class probabilities, hard labels by the nearest of them, and the centroids
    of those labels (one refinement). A class no sample joins keeps a zero centroid (cosine distance 1 to all)."""
    features = features.float()
    weighted = probs.T @ features / probs.sum(0)[:, None]  # Eq. 4
    hard = F.one_hot(nearest_centroid(features, weighted), probs.shape[1]).float()  # Eq. 5
    return hard.T @ features / hard.sum(0).clamp_min(1.0)[:, None]  # Eq. 6's centroids


@register_method("shot")
class SHOT(CustomStepMethod):
    """SHOT (Liang et al. 2020): a source model, then its feature extractor adapted on target data alone (IM + centroid pseudo-labels)."""

    setting = "source-free"
    source_fraction = 0.5  # of the run's batches: the source stage
    smoothing = 0.1  # label smoothing epsilon (Eq. 1)
    beta = 0.3  # weight of the pseudo-label cross-entropy (Sec. 3.3)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.terms:
            raise ValueError(f"Method '{self.cfg.method}' trains with its own two stages and adds no 'losses' {[t.loss for t in self.terms]}; remove them.")
        self.source_steps = round(self.source_fraction * self.cfg.steps)
        if not 0 < self.source_steps < self.cfg.steps:
            raise ValueError(f"Method '{self.cfg.method}' splits its {self.cfg.steps} steps into a source and a target stage; use more steps.")
        self.register_buffer("centroids", torch.zeros(self.num_classes, self.feature_dim))  # checkpointed: a resumed run keeps them
        self.cluster_every = 1  # batches between clusterings: one pass over the unlabeled target split (set at fit start)

    def stage(self, batch: int) -> str:
        """The stage of training batch ``batch`` (counted from 1), or of the evaluation after it."""
        return "source" if batch <= self.source_steps else "adapted"

    def stage_progress(self, batches: int) -> float:
        """The fraction of its own stage done before batch ``batches + 1``: each stage anneals its learning rate afresh."""
        if batches < self.source_steps:
            return batches / self.source_steps
        return (batches - self.source_steps) / (self.cfg.steps - self.source_steps)

    def on_fit_start(self) -> None:
        super().on_fit_start()
        self.cluster_every = math.ceil(len(self.trainer.datamodule.splits["target_unlabeled"]) / self.cfg.batch_size)

    def configure_optimizers(self) -> Any:
        extractor = [*self.backbone.parameters(), *self.bottleneck.parameters()]
        opt_g, opt_h = (self.make_optimizer(self.param_groups(params)) for params in (extractor, self.heads.parameters()))
        return [opt_g, opt_h], [self.make_scheduler(opt, progress=self.stage_progress) for opt in (opt_g, opt_h)]

    @torch.no_grad()
    def cluster(self) -> None:
        """Refresh the centroids over the whole unlabeled target split."""
        self.eval()
        try:
            features = [self.features(x.to(self.device)) for x in self.trainer.datamodule.target_images()]
            logits = torch.cat([self.heads["label"](f).float() for f in features])
            self.centroids.copy_(cluster_centroids(torch.cat(features), logits.softmax(1)))
        finally:
            self.train()

    def update(self, inputs: Inputs) -> dict[str, Tensor]:
        opt_g, opt_h = self.optimizers()
        batch = self.steps_done  # batches done before this one
        if self.stage(batch + 1) == "source":
            logits = self.heads["label"](self.features(inputs.source))
            loss = F.cross_entropy(logits.float(), inputs.source_labels, label_smoothing=self.smoothing)  # Eq. 1
            self.step(loss, opt_g, opt_h)
            return {"loss": loss}
        if (batch - self.source_steps) % self.cluster_every == 0:
            self.cluster()
        assert inputs.target is not None  # uses_target: every training batch has target data
        f = self.features(inputs.target)
        logits = self.heads["label"](f)
        im = information_maximisation(logits)
        pseudo = F.cross_entropy(logits.float(), nearest_centroid(f.detach(), self.centroids))
        loss = im + self.beta * pseudo
        self.step(loss, opt_g)  # the classifier h stays the source hypothesis
        return {"loss": loss, "im": im, "pseudo_ce": pseudo}
