"""The shapes data takes on its way through a run: splits of device tensors, index batches."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

import torch
from torch import Tensor


@dataclass
class Split:
    """One split as tensors on the device.

    ``y`` is what the model is trained on (noisy after label noise), ``y_true`` the clean
    labels the runner keeps to score detectors and report memorisation.  ``variance`` is the
    per-sample label-noise variance (heteroscedastic noises), ``mask`` marks labels the loss
    must ignore (same shape as ``y`` for regression entries, ``(N,)`` for classes), and
    ``index`` maps rows back to the dataset the loader produced.
    """

    x: Tensor
    y: Tensor
    y_true: Tensor
    index: Tensor
    variance: Optional[Tensor] = None
    mask: Optional[Tensor] = None

    @classmethod
    def from_tensors(cls, x: Tensor, y: Tensor) -> "Split":
        return cls(x=x, y=y, y_true=y.clone(), index=torch.arange(len(y), device=y.device))

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def subset(self, rows: Tensor) -> "Split":
        """The rows ``rows`` (indices or a boolean mask) of every per-sample tensor."""
        pick = lambda t: None if t is None else t[rows]  # noqa: E731
        return Split(x=self.x[rows], y=self.y[rows], y_true=self.y_true[rows], index=self.index[rows],
                     variance=pick(self.variance), mask=pick(self.mask))

    def to(self, device: torch.device) -> "Split":
        """Copy to ``device`` once; host tensors are pinned first so CUDA copies are asynchronous."""
        pin = device.type == "cuda"
        move = lambda t: None if t is None else (t.pin_memory() if pin and t.device.type == "cpu" else t).to(  # noqa: E731
            device, non_blocking=True)
        return Split(x=move(self.x), y=move(self.y), y_true=move(self.y_true), index=move(self.index),
                     variance=move(self.variance), mask=move(self.mask))

    def with_(self, **changes) -> "Split":
        return replace(self, **changes)


@dataclass
class Batch:
    """What a loss sees besides predictions and targets: the optional per-sample extras."""

    index: Tensor
    variance: Optional[Tensor] = None
    mask: Optional[Tensor] = None

    @classmethod
    def of(cls, split: Split, rows: Tensor) -> "Batch":
        return cls(index=rows,
                   variance=None if split.variance is None else split.variance[rows],
                   mask=None if split.mask is None else split.mask[rows])


@dataclass
class DataBundle:
    """A loaded dataset: clean train and test splits plus what models and metrics need to know.

    ``label_mean``/``label_std`` undo label normalisation so metrics can be reported in the
    dataset's original units.  ``ood`` holds held-out out-of-distribution test inputs when a
    detector asks for them.
    """

    train: Split
    test: Split
    task: str
    input_shape: tuple[int, ...]
    num_outputs: int
    val: Optional[Split] = None
    label_mean: Optional[Tensor] = None
    label_std: Optional[Tensor] = None
    class_names: tuple[str, ...] = ()
    ood: Optional[Split] = None

    @property
    def is_image(self) -> bool:
        return len(self.input_shape) == 3

    def to(self, device: torch.device) -> "DataBundle":
        move = lambda s: None if s is None else s.to(device)  # noqa: E731
        return replace(self, train=move(self.train), test=move(self.test), val=move(self.val),
                       ood=move(self.ood))


def random_split(split: Split, fraction: float, generator: torch.Generator) -> tuple[Split, Split]:
    """Split off ``fraction`` of the rows (at least one when fraction > 0), seeded."""
    n = len(split)
    n_out = int(round(fraction * n))
    if fraction > 0:
        n_out = min(max(n_out, 1), n - 1)
    perm = torch.randperm(n, generator=generator)
    keep, out = perm[n_out:].sort().values, perm[:n_out].sort().values
    return split.subset(keep), split.subset(out)


def normalise_labels(train: Split, *others: Split) -> tuple[Tensor, Tensor]:
    """Z-score float labels in place using the training split's statistics; returns (mean, std)."""
    mean = train.y.mean(dim=0)
    std = train.y.std(dim=0).clamp_min(1e-8)
    for split in (train, *others):
        split.y = (split.y - mean) / std
        split.y_true = (split.y_true - mean) / std
    return mean, std
