"""Losses with one signature: ``loss(pred, target, batch) -> scalar``.

``batch`` carries the optional per-sample extras (``variance`` for IV/BIV/cutoff, ``mask`` for
the masked losses); what each loss requires is declared on its schema (``config.py``) so that
validation refuses e.g. ``biv`` without variances before any data is loaded.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from noisy_runner.config import (BivConfig, CauchyConfig, CutoffConfig, IvConfig, LossConfig, MaskedCeConfig,
                                 MaskedMseConfig, MseConfig)
from noisy_runner.data import Batch, Split
from noisy_runner.registry import Registry

LossFn = Callable[[Tensor, Tensor, Batch], Tensor]
LOSSES: Registry = Registry("loss")


def squared_error(pred: Tensor, target: Tensor) -> Tensor:
    """Per-sample squared error, averaged over output dimensions: shape (B,)."""
    return (pred.float() - target).pow(2).flatten(1).mean(dim=1)


def inverse_variance_weights(variance: Tensor, epsilon: float) -> Tensor:
    return 1.0 / (variance + epsilon)


@LOSSES.register("mse")
def build_mse(cfg: MseConfig, train: Split) -> LossFn:
    return lambda pred, target, batch: squared_error(pred, target).mean()


@LOSSES.register("iv")
def build_iv(cfg: IvConfig, train: Split) -> LossFn:
    """Inverse-variance weights normalised over the whole training set (mean weight 1)."""
    mean_weight = inverse_variance_weights(train.variance, cfg.epsilon).mean()

    def iv(pred: Tensor, target: Tensor, batch: Batch) -> Tensor:
        weights = inverse_variance_weights(batch.variance, cfg.epsilon) / mean_weight
        return (weights * squared_error(pred, target)).mean()

    return iv


@LOSSES.register("biv")
def build_biv(cfg: BivConfig, train: Split) -> LossFn:
    """Batch inverse-variance (Mai, Khamies & Paull 2021): w = 1/(var + eps) over the batch's sum of w."""

    def biv(pred: Tensor, target: Tensor, batch: Batch) -> Tensor:
        weights = inverse_variance_weights(batch.variance, cfg.epsilon)
        return (weights * squared_error(pred, target)).sum() / weights.sum()

    return biv


@LOSSES.register("cutoff")
def build_cutoff(cfg: CutoffConfig, train: Split) -> LossFn:
    """MSE over the samples whose label variance is below ``threshold`` (zero if none is)."""

    def cutoff(pred: Tensor, target: Tensor, batch: Batch) -> Tensor:
        keep = (batch.variance < cfg.threshold).float()
        return (keep * squared_error(pred, target)).sum() / keep.sum().clamp_min(1.0)

    return cutoff


def ignored(mask: Tensor, like: Tensor) -> Tensor:
    """The mask as floats broadcast to ``like``: a per-sample mask covers every entry of that sample."""
    mask = mask.float()
    while mask.ndim < like.ndim:
        mask = mask.unsqueeze(-1)
    return mask.expand_as(like)


@LOSSES.register("masked_mse")
def build_masked_mse(cfg: MaskedMseConfig, train: Split) -> LossFn:
    """MSE over the label entries whose mask is False; masked entries contribute nothing."""

    def masked_mse(pred: Tensor, target: Tensor, batch: Batch) -> Tensor:
        err = (pred.float() - target).pow(2)
        keep = 1.0 - ignored(batch.mask, err)
        return (keep * err).sum() / keep.sum().clamp_min(1.0)

    return masked_mse


@LOSSES.register("cauchy")
def build_cauchy(cfg: CauchyConfig, train: Split) -> LossFn:
    """Cauchy (Lorentzian) loss c^2/2 * log(1 + (r/c)^2): bounded influence of large residuals."""
    c2 = cfg.scale**2

    def cauchy(pred: Tensor, target: Tensor, batch: Batch) -> Tensor:
        r2 = (pred.float() - target).pow(2)
        return (0.5 * c2 * torch.log1p(r2 / c2)).mean()

    return cauchy


@LOSSES.register("ce")
def build_ce(cfg: LossConfig, train: Split) -> LossFn:
    return lambda pred, target, batch: F.cross_entropy(pred.float(), target)


@LOSSES.register("masked_ce")
def build_masked_ce(cfg: MaskedCeConfig, train: Split) -> LossFn:
    """Cross-entropy over the samples whose mask is False."""

    def masked_ce(pred: Tensor, target: Tensor, batch: Batch) -> Tensor:
        keep = 1.0 - batch.mask.float()
        per_sample = F.cross_entropy(pred.float(), target, reduction="none")
        return (keep * per_sample).sum() / keep.sum().clamp_min(1.0)

    return masked_ce


def per_sample_loss(pred: Tensor, target: Tensor, task: str) -> Tensor:
    """The plain task loss per sample (CE or squared error): what histories and test metrics use."""
    if task == "classification":
        return F.cross_entropy(pred.float(), target, reduction="none")
    return squared_error(pred, target)
