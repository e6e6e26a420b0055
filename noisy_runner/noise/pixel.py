"""Input noise: at every training step, re-draw a fraction of each sample's pixels from the
training set's own pixel-value histogram (the label-vs-input-noise study on MNIST).
"""

from __future__ import annotations

import torch
from torch import Tensor

from noisy_runner.config import PixelNoiseConfig
from noisy_runner.data import Split
from noisy_runner.noise.base import NOISES, BatchTransform, Noise

LEVELS = 1 << 16  # one 16-bit uniform per pixel decides both "replace?" and "with which value"


def quantile_table(train: Split, ratio: float, max_pool: int = 1 << 22) -> tuple[Tensor, int]:
    """(table, cut): ``table[k]`` for ``k < cut`` is the training-pixel quantile at (k + 0.5) / cut.

    With u uniform on 0..65535, a pixel is replaced when u < cut = round(ratio * 65536); given
    that, u is uniform on 0..cut-1, so ``table[u]`` is an inverse-CDF draw from the training
    set's pixel-value histogram.  One random number per pixel, no per-sample Python.
    """
    values = train.x.flatten()
    if values.numel() > max_pool:
        step = values.numel() // max_pool
        values = values[::step]
    ordered = values.sort().values
    cut = max(1, round(ratio * LEVELS))
    ranks = ((torch.arange(cut, device=ordered.device) + 0.5) / cut * ordered.numel()).long()
    table = torch.zeros(LEVELS, dtype=train.x.dtype, device=ordered.device)
    table[:cut] = ordered[ranks.clamp_(max=ordered.numel() - 1)]
    return table, cut


def pixel_noise(cfg: PixelNoiseConfig):
    def transform_for(train: Split) -> BatchTransform:
        table, cut = quantile_table(train, cfg.ratio)

        def transform(x: Tensor, generator: torch.Generator) -> Tensor:
            bits = torch.empty(x.shape, dtype=torch.int32, device=x.device).random_(generator=generator)
            u = (bits & (LEVELS - 1)).long()
            return torch.where(u < cut, torch.take(table, u).to(x.dtype), x)

        return transform

    return transform_for


@NOISES.register("pixel")
def build_pixel(cfg: PixelNoiseConfig, num_outputs: int) -> Noise:
    return Noise(cfg, input_transform=pixel_noise(cfg) if cfg.ratio > 0 else None)
