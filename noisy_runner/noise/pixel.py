"""Input noise: at every training step, re-draw a fraction of each sample's pixels from the
training set's own pixel-value histogram (the label-vs-input-noise study on MNIST).
"""

from __future__ import annotations

import torch
from torch import Tensor

from noisy_runner.config import PixelNoiseConfig
from noisy_runner.data import Split
from noisy_runner.noise.base import NOISES, BatchTransform, Noise

POOL_SIZE = 1 << 20


def pixel_pool(train: Split, generator: torch.Generator | None = None) -> Tensor:
    """Up to 2^20 pixel values sampled from the clean training inputs.

    Drawing uniformly from this pool is drawing from the training set's pixel-value histogram,
    with no binning and no per-sample Python.
    """
    values = train.x.flatten()
    if values.numel() <= POOL_SIZE:
        return values.clone()
    rows = torch.randint(values.numel(), (POOL_SIZE,), generator=generator, device="cpu").to(values.device)
    return values[rows]


def pixel_noise(cfg: PixelNoiseConfig):
    def transform_for(train: Split) -> BatchTransform:
        pool = pixel_pool(train)
        ratio = cfg.ratio

        def transform(x: Tensor, generator: torch.Generator) -> Tensor:
            replace = torch.rand(x.shape, generator=generator, device=x.device) < ratio
            drawn = pool[torch.randint(pool.numel(), x.shape, generator=generator, device=x.device)]
            return torch.where(replace, drawn.to(x.dtype), x)

        return transform

    return transform_for


@NOISES.register("pixel")
def build_pixel(cfg: PixelNoiseConfig, num_outputs: int) -> Noise:
    return Noise(cfg, input_transform=pixel_noise(cfg) if cfg.ratio > 0 else None)
