"""Methods that own their training step, as DomainBed's ``Algorithm.update`` does (Gulrajani & Lopez-Paz, ICLR 2021).

A subclass of :class:`CustomStepMethod` implements :meth:`~CustomStepMethod.update` (one training batch: forward
passes, losses and any number of optimiser steps through :meth:`~CustomStepMethod.step`), may override
:meth:`~da_bench.methods.module.Method.predict`, and for several optimisers builds ``configure_optimizers`` from
:meth:`~da_bench.methods.module.Method.param_groups`, :meth:`~da_bench.methods.module.Method.make_optimizer` and
:meth:`~da_bench.methods.module.Method.make_scheduler`. Registered with ``@register_method("name")`` it runs from
the CLI like any method. Progress, weight ramps and evaluation steps count training batches, however many
optimiser steps a batch takes; every learning-rate schedule steps once per batch.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from da_bench.methods.module import Inputs, Method


class CustomStepMethod(Method):
    """A method with its own training step (manual optimisation)."""

    uses_target = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.automatic_optimization = False

    def update(self, inputs: Inputs) -> dict[str, Tensor]:
        """Train on one batch; returns the scalars to log under ``train/<name>``, the total as ``loss``."""
        raise NotImplementedError(f"{type(self).__name__} must implement update(inputs)")

    def step(self, loss: Tensor, *optimizers: Any) -> None:
        """Minimise ``loss`` by one step of each of ``optimizers``: zero their gradients, backpropagate, step.
        Parameters of other optimisers keep the gradient until their own next step zeroes it."""
        self.check_finite(loss)
        for optimizer in optimizers:
            optimizer.zero_grad()
        self.manual_backward(loss)
        for optimizer in optimizers:
            optimizer.step()

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        scalars = self.update(Inputs.of(batch))
        schedulers = self.lr_schedulers()
        for scheduler in schedulers if isinstance(schedulers, list) else [schedulers] if schedulers is not None else []:
            scheduler.step()  # once per batch: the learning-rate schedule follows the training progress
        for name, value in scalars.items():
            self.log_step(f"train/{name}", value)
        return scalars["loss"]


class AlternatingMethod(CustomStepMethod):
    """Per batch, first the adversaries of the losses that have one, on detached features, then the model
    (domain confusion, Tzeng et al. ICCV 2015)."""

    def adversary_params(self) -> list[nn.Parameter]:
        return [p for t in self.terms for p in self.adaptation[t.loss].adversary_parameters()]

    def configure_optimizers(self) -> Any:
        adversary = self.adversary_params()
        ids = {id(p) for p in adversary}
        main = self.make_optimizer(self.param_groups(p for p in self.parameters() if id(p) not in ids))
        adv = self.make_optimizer(self.param_groups(adversary))
        return [main, adv], [self.make_scheduler(main), self.make_scheduler(adv)]

    def update(self, inputs: Inputs) -> dict[str, Tensor]:
        main_opt, adv_opt = self.optimizers()
        sup_loss, out, _ = self.step_outputs(inputs)
        assert out is not None
        adv_loss = sum(self.adaptation[t.loss].adversary_loss(out) for t in self.terms if self.adaptation[t.loss].alternating)
        self.step(adv_loss, adv_opt)
        loss = sup_loss + self.adaptation_loss(out)
        self.step(loss, main_opt)  # the adversary's gradients from this backward are cleared before its next step
        return {"loss": loss, "adversary": adv_loss}
