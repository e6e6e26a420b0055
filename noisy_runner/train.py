"""The training loop: epochs of index batches over device-resident tensors.

No per-sample Python and no host-device synchronisation inside a step: losses, accuracies and
the per-sample history are accumulated on the device and read once per epoch.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

import torch
from torch import Tensor, nn

from noisy_runner.config import TrainConfig
from noisy_runner.data import Batch, Split
from noisy_runner.device import Runtime
from noisy_runner.losses import LossFn, per_sample_loss
from noisy_runner.noise.base import BatchTransform


class Diverged(RuntimeError):
    """The training loss became NaN or infinite."""


class Interrupted(RuntimeError):
    """A stop signal (SIGTERM, SLURM preemption) arrived during training."""


@dataclass
class History:
    """Per-sample training dynamics, one row per epoch, recorded at each presentation.

    ``correct`` and ``margin`` (classification) are measured against the observed labels;
    ``loss`` is the plain task loss per sample.  Detectors such as forgetting events, small
    loss and AUM read these tensors.
    """

    loss: Tensor
    correct: Optional[Tensor] = None
    margin: Optional[Tensor] = None

    @classmethod
    def empty(cls, epochs: int, n: int, task: str, device: torch.device) -> "History":
        classification = task == "classification"
        return cls(loss=torch.zeros(epochs, n, device=device),
                   correct=torch.zeros(epochs, n, dtype=torch.bool, device=device) if classification else None,
                   margin=torch.zeros(epochs, n, device=device) if classification else None)

    def record(self, epoch: int, rows: Tensor, pred: Tensor, target: Tensor, task: str) -> None:
        with torch.no_grad():
            pred = pred.float()
            self.loss[epoch, rows] = per_sample_loss(pred, target, task)
            if self.margin is not None:  # ``correct`` is filled once per epoch from the trainer's guesses
                given = pred.gather(1, target[:, None]).squeeze(1)
                other = pred.scatter(1, target[:, None], float("-inf")).amax(dim=1)
                self.margin[epoch, rows] = given - other

    def state_dict(self) -> dict[str, Any]:
        return {"loss": self.loss, "correct": self.correct, "margin": self.margin}


@dataclass
class EpochSums:
    """On-device accumulators of one epoch: summed loss and each sample's predicted class."""

    loss: Tensor
    guesses: Optional[Tensor]


def unwrap(model: nn.Module) -> nn.Module:
    """The module behind ``torch.compile``, so saved weights load into a plain model."""
    return getattr(model, "_orig_mod", model)


def build_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    """SGD or Adam, with torch's fused kernels (one call for all parameters) where available."""
    kind = torch.optim.SGD if cfg.optimizer == "sgd" else torch.optim.Adam
    options = {"lr": cfg.lr, "weight_decay": cfg.weight_decay}
    if cfg.optimizer == "sgd":
        options["momentum"] = cfg.momentum
    try:
        return kind(model.parameters(), fused=True, **options)
    except (RuntimeError, TypeError):  # fused not supported for these parameters or this device
        return kind(model.parameters(), **options)


def build_scheduler(optimizer: torch.optim.Optimizer, cfg: TrainConfig):
    if cfg.scheduler == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg.epochs)
    if cfg.scheduler == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=cfg.step_size, gamma=cfg.gamma)
    return None


def predict(model: nn.Module, x: Tensor, runtime: Runtime, batch_size: int) -> Tensor:
    """Model outputs for all rows of ``x`` in large batches, in eval mode, as float32."""
    was_training = model.training
    model.eval()
    outputs = []
    with torch.inference_mode(), runtime.autocast():
        for start in range(0, len(x), batch_size):
            outputs.append(model(runtime.prepare_inputs(x[start:start + batch_size])).float())
    model.train(was_training)
    if not outputs:
        return torch.empty(0, device=x.device)
    return torch.cat(outputs)


def evaluate(model: nn.Module, split: Split, task: str, runtime: Runtime, batch_size: int,
             label_std: Optional[Tensor] = None) -> dict[str, float]:
    """Plain task metrics against the split's clean labels (``y_true``)."""
    pred = predict(model, split.x, runtime, batch_size)
    if task == "classification":
        ce = per_sample_loss(pred, split.y_true, task).mean()
        acc = (pred.argmax(dim=1) == split.y_true).float().mean()
        return {"loss": float(ce), "ce": float(ce), "acc": float(acc)}
    err = (pred - split.y_true).pow(2)
    metrics = {"loss": float(err.mean()), "mse": float(err.mean())}
    if label_std is not None:
        metrics["mse_original"] = float((err * label_std.pow(2)).mean())
    return metrics


def loss_on(model: nn.Module, split: Split, loss_fn: LossFn, runtime: Runtime, batch_size: int) -> float:
    """The training loss on a whole split (validation), with the split's own extras."""
    if len(split) == 0:
        return float("nan")
    pred = predict(model, split.x, runtime, batch_size)
    rows = torch.arange(len(split), device=split.y.device)
    return float(loss_fn(pred, split.y, Batch.of(split, rows)))


@dataclass
class Trainer:
    """Trains one model; everything needed to resume exactly is in ``state_dict``."""

    model: nn.Module
    loss_fn: LossFn
    train: Split
    cfg: TrainConfig
    runtime: Runtime
    task: str
    seed: int
    transforms: Sequence[BatchTransform] = ()
    record_history: bool = False
    epoch: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)
    should_stop: Callable[[], bool] = lambda: False

    def __post_init__(self) -> None:
        self.optimizer = build_optimizer(self.model, self.cfg)
        self.scheduler = build_scheduler(self.optimizer, self.cfg)
        self.scaler = torch.amp.GradScaler("cuda") if self.runtime.amp_dtype == torch.float16 else None
        self.generator = torch.Generator(device=self.runtime.device).manual_seed(self.seed)
        self.history = (History.empty(self.cfg.epochs, len(self.train), self.task, self.runtime.device)
                        if self.record_history else None)

    # ----------------------------------------------------------------- one epoch
    def step(self, rows: Tensor, sums: EpochSums) -> None:
        x = self.train.x[rows]
        for transform in self.transforms:
            x = transform(x, self.generator)
        target = self.train.y[rows]
        with self.runtime.autocast():
            pred = self.model(self.runtime.prepare_inputs(x))
            loss = self.loss_fn(pred, target, Batch.of(self.train, rows))
        self.optimizer.zero_grad(set_to_none=True)
        if self.scaler is None:
            loss.backward()
            self.optimizer.step()
        else:
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
        detached = pred.detach()
        sums.loss.add_(loss.detach(), alpha=len(rows))
        if sums.guesses is not None:
            sums.guesses[rows] = detached.argmax(dim=1)
        if self.history is not None:
            self.history.record(self.epoch, rows, detached, target, self.task)

    def run_epoch(self) -> dict[str, float]:
        """One pass over the training split in a seeded random order; returns train metrics."""
        self.model.train()
        device = self.runtime.device
        classification = self.task == "classification"
        sums = EpochSums(torch.zeros((), device=device),
                         torch.empty(len(self.train), dtype=torch.long, device=device) if classification else None)
        n, size = len(self.train), self.cfg.batch_size
        order = torch.randperm(n, generator=self.generator, device=device)
        start = time.perf_counter()
        for first in range(0, n, size):
            if self.should_stop():
                raise Interrupted(f"stopped by a signal during epoch {self.epoch + 1}")
            self.step(order[first:first + size], sums)
        train_loss = float(sums.loss) / max(n, 1)  # the one sync of the epoch
        if device.type == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
        if not math.isfinite(train_loss):
            raise Diverged(f"training loss became {train_loss} in epoch {self.epoch + 1}")
        metrics = {"train_loss": train_loss, "seconds": seconds, "lr": self.optimizer.param_groups[0]["lr"]}
        if classification:
            correct = sums.guesses == self.train.y  # at each sample's presentation this epoch
            if self.history is not None:
                self.history.correct[self.epoch] = correct
            metrics["train_acc_noisy"] = float(correct.float().mean())
            metrics["train_acc_true"] = float((sums.guesses == self.train.y_true).float().mean())
        if self.scheduler is not None:
            self.scheduler.step()
        self.epoch += 1
        return metrics

    def fit(self, on_epoch: Callable[["Trainer", dict[str, float]], None] | None = None) -> None:
        """Run the remaining epochs; ``on_epoch`` evaluates, logs and checkpoints after each."""
        while self.epoch < self.cfg.epochs:
            metrics = self.run_epoch()
            if on_epoch is not None:
                on_epoch(self, metrics)

    # ----------------------------------------------------------------- resume
    def state_dict(self) -> dict[str, Any]:
        state = {"epoch": self.epoch, "rows": list(self.rows), "model": unwrap(self.model).state_dict(),
                 "optimizer": self.optimizer.state_dict(),
                 "scaler": None if self.scaler is None else self.scaler.state_dict(),
                 "generator": self.generator.get_state(), "torch_rng": torch.get_rng_state(),
                 "history": None if self.history is None else self.history.state_dict()}
        if self.scheduler is not None:
            state["scheduler"] = self.scheduler.state_dict()
        if self.runtime.device.type == "cuda":
            state["cuda_rng"] = torch.cuda.get_rng_state()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.epoch, self.rows = state["epoch"], list(state["rows"])
        unwrap(self.model).load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scaler is not None and state["scaler"] is not None:
            self.scaler.load_state_dict(state["scaler"])
        self.generator.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])
        if self.scheduler is not None and "scheduler" in state:
            self.scheduler.load_state_dict(state["scheduler"])
        if "cuda_rng" in state and self.runtime.device.type == "cuda":
            torch.cuda.set_rng_state(state["cuda_rng"])
        if self.history is not None and state["history"] is not None:
            device = self.runtime.device
            self.history = History(**{k: None if v is None else v.to(device) for k, v in state["history"].items()})


