"""Heteroscedastic regression label noise (Mai, Khamies & Paull 2021, "Batch Inverse-Variance
Weighting"): every sample gets its own variance, drawn from one distribution or a mixture of
two, and its label receives Gaussian noise of that variance once, before training.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from noisy_runner.config import ConfigError, HeteroscedasticConfig
from noisy_runner.data import Split
from noisy_runner.noise.base import NOISES, Noise, NoiseRecord


@dataclass(frozen=True)
class VarianceDistribution:
    """``uniform`` on [a, b] or ``gamma`` with shape a and rate b."""

    family: str
    a: float
    b: float

    @property
    def mean(self) -> float:
        return (self.a + self.b) / 2 if self.family == "uniform" else self.a / self.b

    @property
    def var(self) -> float:
        return (self.b - self.a) ** 2 / 12 if self.family == "uniform" else self.a / self.b**2

    def scaled(self, factor: float) -> "VarianceDistribution":
        """The distribution of ``factor`` times a draw (mean x factor, variance x factor^2)."""
        if self.family == "uniform":
            return VarianceDistribution("uniform", self.a * factor, self.b * factor)
        return VarianceDistribution("gamma", self.a, self.b / factor)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.family == "uniform":
            return rng.uniform(self.a, self.b, n)
        return rng.gamma(self.a, 1.0 / self.b, n)


def parse_distribution(family: str, params: str, pair: list[float], key: str) -> VarianceDistribution:
    """Turn one ``noise.values`` pair into a distribution; impossible parameters are a ConfigError."""
    first, second = float(pair[0]), float(pair[1])
    if family == "uniform" and params == "boundaries":
        if not 0 <= first <= second:
            raise ConfigError(key, list(pair), "uniform boundaries need 0 <= a <= b.")
        return VarianceDistribution("uniform", first, second)
    if family == "uniform" and params == "meanvar":
        half_width = math.sqrt(3 * second) if second >= 0 else float("nan")
        if not (second >= 0 and first - half_width >= 0):
            raise ConfigError(key, list(pair), "uniform meanvar needs variance >= 0 and mean >= sqrt(3*variance) "
                                               "so that the lower bound mean - sqrt(3*variance) is not negative.")
        return VarianceDistribution("uniform", first - half_width, first + half_width)
    if family == "gamma" and params == "alphabeta":
        if not (first > 0 and second > 0):
            raise ConfigError(key, list(pair), "gamma alphabeta needs shape > 0 and rate > 0.")
        return VarianceDistribution("gamma", first, second)
    if family == "gamma" and params == "meanvar":
        if not (first > 0 and second > 0):
            raise ConfigError(key, list(pair), "gamma meanvar needs mean > 0 and variance > 0.")
        return VarianceDistribution("gamma", first**2 / second, first / second)
    raise ConfigError("noise.params", params, f"{family} takes "
                      f"{'boundaries or meanvar' if family == 'uniform' else 'alphabeta or meanvar'}.")


def mixture(cfg: HeteroscedasticConfig, family: str) -> list[VarianceDistribution]:
    """The one or two distributions, with ``average_variance`` applied by rescaling the last one.

    With two distributions the target X = p*mu1 + (1-p)*mu2 fixes mu2; with one, X = p*mu1.
    """
    dists = [parse_distribution(family, cfg.params, pair, "noise.values") for pair in cfg.values]
    if cfg.average_variance is None:
        return dists
    p, target = cfg.ratio, cfg.average_variance
    if len(dists) == 1:
        if p == 0:
            raise ConfigError("noise.average_variance", target, "Needs noise.ratio > 0 with a single distribution.")
        return [dists[0].scaled(target / (p * dists[0].mean))]
    if p >= 1 or target <= p * dists[0].mean:
        raise ConfigError("noise.average_variance", target,
                          f"With ratio p={p} and first mean {dists[0].mean:.4g}, the average variance must "
                          f"exceed p*mu1={p * dists[0].mean:.4g} (and p < 1) so that mu2 stays positive.")
    mu2 = (target - p * dists[0].mean) / (1 - p)
    return [dists[0], dists[1].scaled(mu2 / dists[1].mean)]


def draw_variances(cfg: HeteroscedasticConfig, family: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Per-sample variances: distribution 1 with probability ``ratio``, else distribution 2.

    A single distribution leaves the other (1 - ratio) of the samples noise-free.  ``scale``
    shrinks each variance towards the mixture mean (0: homoscedastic, 1: as drawn).
    """
    dists = mixture(cfg, family)
    first = rng.random(n) < cfg.ratio
    variances = np.where(first, dists[0].sample(rng, n), dists[1].sample(rng, n) if len(dists) == 2 else 0.0)
    if cfg.scale is not None:
        mean = cfg.ratio * dists[0].mean + (1 - cfg.ratio) * (dists[1].mean if len(dists) == 2 else 0.0)
        variances = mean + cfg.scale * (variances - mean)
    return variances


def heteroscedastic(cfg: HeteroscedasticConfig, family: str):
    def apply(split: Split, rng: np.random.Generator) -> tuple[Split, NoiseRecord]:
        device = split.y.device
        variances = draw_variances(cfg, family, len(split), rng)
        noise = rng.standard_normal(tuple(split.y.shape)) * np.sqrt(variances).reshape(-1, *[1] * (split.y.ndim - 1))
        noisy = split.with_(y=split.y + torch.as_tensor(noise, dtype=split.y.dtype, device=device),
                            variance=torch.as_tensor(variances, dtype=torch.float32, device=device))
        corrupted = noisy.variance > 0
        if cfg.threshold is not None:
            keep = noisy.variance <= cfg.threshold
            noisy, corrupted = noisy.subset(keep), corrupted[keep]
        return noisy, NoiseRecord(corrupted)

    return apply


@NOISES.register("gamma")
def build_gamma(cfg: HeteroscedasticConfig, num_outputs: int) -> Noise:
    mixture(cfg, "gamma")  # fail on impossible parameters before any data is touched
    return Noise(cfg, apply=heteroscedastic(cfg, "gamma"))


@NOISES.register("uniform")
def build_uniform(cfg: HeteroscedasticConfig, num_outputs: int) -> Noise:
    mixture(cfg, "uniform")
    return Noise(cfg, apply=heteroscedastic(cfg, "uniform"))
