"""What a detector reads and what it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from torch import Tensor, nn

from noisy_runner.data import DataBundle, Split
from noisy_runner.device import Runtime
from noisy_runner.noise.base import NoiseRecord
from noisy_runner.registry import Registry
from noisy_runner.train import History, Trainer

DETECTORS: Registry = Registry("detector")


@dataclass
class DetectionContext:
    """The trained model, its training history, the data and the truth the runner recorded.

    ``train_fresh(train=None, loss=None, epochs=None, seed_offset=0, num_outputs=None,
    record_history=False)`` trains a new model with the run's settings (optionally another split,
    loss config, epoch count or number of outputs) and returns its ``Trainer`` (``.model``,
    ``.history``).
    """

    model: nn.Module
    history: Optional[History]
    bundle: DataBundle
    record: NoiseRecord
    runtime: Runtime
    settings: Any
    train_fresh: Callable[..., Trainer]


@dataclass
class Detection:
    """Per-item scores (higher = more suspect), flags, and the truth they are scored against.

    Items are training samples, or label entries for per-entry noise, or test inputs for an
    out-of-distribution screen.  ``retrain_mask`` (shaped like the training labels, or per
    sample) marks what a retrain should ignore; ``metrics`` holds detector-specific numbers.
    """

    scores: Tensor
    flags: Tensor
    truth: Tensor
    item_index: Tensor
    retrain_mask: Optional[Tensor] = None
    metrics: dict[str, float] = field(default_factory=dict)


def per_sample_detection(scores: Tensor, flags: Tensor, ctx: DetectionContext,
                         metrics: Optional[dict[str, float]] = None) -> Detection:
    """A detection over training samples, scored against the recorded label corruption; the
    flagged samples are what a retrain drops."""
    return Detection(scores=scores, flags=flags, truth=ctx.record.per_sample(), item_index=ctx.bundle.train.index,
                     retrain_mask=flags, metrics=metrics or {})


@DETECTORS.register("none")
def no_detector(cfg: Any, ctx: DetectionContext) -> None:
    return None


def truth_like(record: NoiseRecord, labels: Tensor) -> Tensor:
    """The recorded corruption broadcast to the shape of ``labels`` (per entry)."""
    corrupted = record.corrupted
    while corrupted.ndim < labels.ndim:
        corrupted = corrupted.unsqueeze(-1)
    return corrupted.expand_as(labels)


def entry_index(split: Split) -> Tensor:
    """For per-entry items: the sample index of every label entry, flattened like ``split.y``."""
    return split.index[:, None].expand_as(split.y).flatten() if split.y.ndim > 1 else split.index
