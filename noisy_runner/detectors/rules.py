"""Rules that turn scores into flags, kept apart from the scores themselves."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

MAD_TO_SIGMA = 1.4826  # MAD of a normal distribution times this is its standard deviation


def median_and_sigma(values: Tensor) -> tuple[Tensor, Tensor]:
    """Per column (dim 0): the median, and the median absolute deviation scaled to a normal's sigma."""
    median = values.median(dim=0, keepdim=True).values
    sigma = (values - median).abs().median(dim=0, keepdim=True).values * MAD_TO_SIGMA
    return median, sigma


def mad_threshold(scores: Tensor, k: float) -> float:
    """median + k * (scaled) median absolute deviation: needs no known noise rate."""
    median, sigma = median_and_sigma(scores)
    return float(median + k * sigma)


def robust_outliers(residual: Tensor, k: float) -> Tensor:
    """|r - median| > k * sigma_MAD, per column of ``residual`` (one scale per output dimension)."""
    median, sigma = median_and_sigma(residual)
    return (residual - median).abs() > k * sigma


def quantile_threshold(scores: Tensor, fraction: float) -> float:
    """The score above which the top ``fraction`` of items lie."""
    if fraction <= 0:
        return float("inf")
    return float(torch.quantile(scores.float().cpu(), 1.0 - fraction))


def flag(scores: Tensor, cfg: Any) -> Tensor:
    """Flags by ``cfg.threshold``: quantile (top ``fraction``), mad (median + k MAD) or fixed ``value``."""
    scores = scores.float()
    if cfg.threshold == "quantile":
        cut = quantile_threshold(scores, cfg.fraction)
        return scores >= cut if cfg.fraction > 0 else torch.zeros_like(scores, dtype=torch.bool)
    if cfg.threshold == "mad":
        return scores > mad_threshold(scores, cfg.k)
    return scores >= float(cfg.value)
