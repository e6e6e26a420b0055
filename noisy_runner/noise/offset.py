"""Regression label damage of the masked-label study: integer offsets on a fraction of entries."""

from __future__ import annotations

import numpy as np
import torch

from noisy_runner.config import OffsetNoiseConfig
from noisy_runner.data import Split
from noisy_runner.noise.base import NOISES, Noise, NoiseRecord


def offset_damage(cfg: OffsetNoiseConfig):
    """Add an integer in [low, high] (random sign if ``signed``) to ``round(ratio * entries)`` entries.

    The damaged entries are recorded per entry, shape (N, D), which is also the mask that
    ``masked_mse`` ignores.
    """

    def apply(split: Split, rng: np.random.Generator) -> tuple[Split, NoiseRecord]:
        entries = split.y.numel()
        chosen = rng.choice(entries, size=int(round(cfg.ratio * entries)), replace=False)
        shift = rng.integers(cfg.low, cfg.high + 1, len(chosen)).astype(np.float32)
        if cfg.signed:
            shift *= rng.choice([-1.0, 1.0], len(chosen))
        delta = np.zeros(entries, dtype=np.float32)
        delta[chosen] = shift
        damaged = np.zeros(entries, dtype=bool)
        damaged[chosen] = True
        to_y = lambda a: torch.as_tensor(a.reshape(split.y.shape), device=split.y.device)  # noqa: E731
        return split.with_(y=split.y + to_y(delta)), NoiseRecord(to_y(damaged))

    return apply


@NOISES.register("offset")
def build_offset(cfg: OffsetNoiseConfig, num_outputs: int) -> Noise:
    return Noise(cfg, apply=offset_damage(cfg))
