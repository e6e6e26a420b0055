"""Class-label noise, drawn once on the training labels: symmetric, flip and pair-flip.

Exactly ``round(ratio * N)`` samples are selected; the record marks the labels that changed.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from noisy_runner.config import ClassNoiseConfig
from noisy_runner.data import Split
from noisy_runner.noise.base import NOISES, Noise, NoiseRecord

Relabel = Callable[[np.ndarray, int, np.random.Generator], np.ndarray]


def symmetric(labels: np.ndarray, classes: int, rng: np.random.Generator) -> np.ndarray:
    """Uniform over all classes: the true class may be drawn again."""
    return rng.integers(0, classes, len(labels))


def flip(labels: np.ndarray, classes: int, rng: np.random.Generator) -> np.ndarray:
    """Uniform over the other classes: never the true class."""
    return (labels + rng.integers(1, classes, len(labels))) % classes


def pairflip(labels: np.ndarray, classes: int, rng: np.random.Generator) -> np.ndarray:
    """Class c becomes (c + 1) mod K."""
    return (labels + 1) % classes


def class_noise(cfg: ClassNoiseConfig, classes: int, relabel: Relabel):
    def apply(split: Split, rng: np.random.Generator) -> tuple[Split, NoiseRecord]:
        labels = split.y.cpu().numpy()
        chosen = rng.choice(len(labels), size=int(round(cfg.ratio * len(labels))), replace=False)
        noisy = labels.copy()
        noisy[chosen] = relabel(labels[chosen], classes, rng)
        y = torch.as_tensor(noisy, dtype=split.y.dtype, device=split.y.device)
        return split.with_(y=y), NoiseRecord(y != split.y_true)

    return apply


for _name, _relabel in (("symmetric", symmetric), ("flip", flip), ("pairflip", pairflip)):
    NOISES.register(_name)(
        lambda cfg, num_outputs, _relabel=_relabel: Noise(cfg, apply=class_noise(cfg, num_outputs, _relabel)))
