"""The shapes shared by every noise model and the one place that applies them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import numpy as np
import torch
from torch import Tensor

from noisy_runner.config import NoiseConfig
from noisy_runner.data import Split
from noisy_runner.registry import Registry

NOISES: Registry = Registry("noise")

BatchTransform = Callable[[Tensor, torch.Generator], Tensor]


@dataclass
class NoiseRecord:
    """The truth the runner keeps about what it corrupted (per sample, or per label entry)."""

    corrupted: Tensor

    @property
    def fraction(self) -> float:
        return float(self.corrupted.float().mean()) if self.corrupted.numel() else 0.0

    @property
    def count(self) -> int:
        return int(self.corrupted.sum())

    def per_sample(self) -> Tensor:
        return self.corrupted if self.corrupted.ndim == 1 else self.corrupted.flatten(1).any(dim=1)

    def merge(self, other: "NoiseRecord") -> "NoiseRecord":
        """Both records' corruptions; per sample when one is per entry and the other is not."""
        if not bool(other.corrupted.any()):
            return self
        if not bool(self.corrupted.any()):
            return other
        if other.corrupted.shape == self.corrupted.shape:
            return NoiseRecord(self.corrupted | other.corrupted)
        return NoiseRecord(self.per_sample() | other.per_sample())


def untouched(split: Split, rng: np.random.Generator) -> tuple[Split, NoiseRecord]:
    return split, NoiseRecord(torch.zeros(len(split), dtype=torch.bool, device=split.y.device))


@dataclass
class Noise:
    """A built noise: ``apply`` runs once on a split; ``input_transform(train)`` gives the per-step one."""

    cfg: NoiseConfig
    apply: Callable[[Split, np.random.Generator], tuple[Split, NoiseRecord]] = untouched
    input_transform: Optional[Callable[[Split], BatchTransform]] = None


@NOISES.register("none")
def build_none(cfg: NoiseConfig, num_outputs: int) -> Noise:
    return Noise(cfg)


def apply_noises(noises: Sequence[Noise], split: Split, seed: int, stream: int) -> tuple[Split, NoiseRecord]:
    """Apply each noise's one-off part to ``split``, seeded by (seed, stream); merge their records."""
    rng = np.random.default_rng([seed, stream])
    record: NoiseRecord | None = None
    for noise in noises:
        split, new = noise.apply(split, rng)
        record = new if record is None else record.merge(new)
    assert record is not None
    return split, record
