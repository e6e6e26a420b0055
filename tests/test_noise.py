"""Each noise draws what it promises: variances with the requested moments, fractions within
sampling error, flips that never keep the class, pixels re-drawn every step and only in training."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from noisy_runner.config import (ConfigError, FlipNoiseConfig, GammaNoiseConfig, OffsetNoiseConfig, PairFlipNoiseConfig,
                                 PixelNoiseConfig, SymmetricNoiseConfig, UniformNoiseConfig)
from noisy_runner.data import Split
from noisy_runner.noise import NOISES, apply_noises
from noisy_runner.noise.heteroscedastic import draw_variances

N = 200_000


def regression_split(n: int = N, dims: int = 1) -> Split:
    return Split.from_tensors(torch.zeros(n, 2), torch.zeros(n, dims))


def assert_moments(values: np.ndarray, mean: float, var: float) -> None:
    """Sample mean within 5 standard errors, sample variance within 5 %."""
    assert abs(values.mean() - mean) < 5 * math.sqrt(var / len(values))
    assert values.var() == pytest.approx(var, rel=0.05)


@pytest.mark.parametrize("family,params,pair,mean,var", [
    ("uniform", "boundaries", [1.0, 3.0], 2.0, 4 / 12),
    ("uniform", "meanvar", [2.0, 0.5], 2.0, 0.5),
    ("gamma", "alphabeta", [2.0, 4.0], 0.5, 2 / 16),
    ("gamma", "meanvar", [1.5, 0.3], 1.5, 0.3),
])
def test_single_distribution_has_requested_moments(family, params, pair, mean, var):
    cls = UniformNoiseConfig if family == "uniform" else GammaNoiseConfig
    cfg = cls(ratio=1.0, params=params, values=[pair])
    assert_moments(draw_variances(cfg, family, N, np.random.default_rng(0)), mean, var)


def test_mixture_draws_first_distribution_with_probability_ratio():
    cfg = UniformNoiseConfig(ratio=0.3, params="boundaries", values=[[0.0, 1.0], [10.0, 11.0]])
    variances = draw_variances(cfg, "uniform", N, np.random.default_rng(1))
    share_first = (variances < 5).mean()
    assert abs(share_first - 0.3) < 5 * math.sqrt(0.3 * 0.7 / N)
    assert_moments(variances[variances < 5], 0.5, 1 / 12)


def test_average_variance_rescales_the_second_mean():
    cfg = GammaNoiseConfig(ratio=0.5, params="meanvar", values=[[1.0, 0.5], [4.0, 2.0]], average_variance=2.0)
    variances = draw_variances(cfg, "gamma", N, np.random.default_rng(2))
    assert variances.mean() == pytest.approx(2.0, rel=0.02)  # p*mu1 + (1-p)*mu2 = 2 -> mu2 = 3


def test_scale_zero_is_homoscedastic_and_keeps_the_mean():
    cfg = GammaNoiseConfig(ratio=0.5, params="meanvar", values=[[1.0, 0.5], [3.0, 1.0]], scale=0.0)
    variances = draw_variances(cfg, "gamma", 1000, np.random.default_rng(3))
    assert np.allclose(variances, 2.0)


def test_labels_get_gaussian_noise_of_their_variance_and_threshold_drops_samples():
    cfg = UniformNoiseConfig(ratio=1.0, params="boundaries", values=[[0.0, 4.0]], threshold=2.0)
    split, record = apply_noises([NOISES.build(cfg, 1)], regression_split(), seed=0, stream=1)
    assert 0.45 < len(split) / N < 0.55 and float(split.variance.max()) <= 2.0
    standardised = (split.y[:, 0] / split.variance.sqrt()).numpy()
    assert_moments(standardised, 0.0, 1.0)
    assert bool(record.corrupted.all()) and len(record.corrupted) == len(split)


@pytest.mark.parametrize("family,params,pair", [
    ("uniform", "boundaries", [-1.0, 2.0]),
    ("uniform", "meanvar", [1.0, 1.0]),  # mu < sqrt(3 v): negative lower bound
    ("gamma", "meanvar", [0.0, 1.0]),
    ("gamma", "alphabeta", [1.0, -2.0]),
    ("gamma", "boundaries", [1.0, 2.0]),
])
def test_impossible_parameters_are_config_errors(family, params, pair):
    cls = UniformNoiseConfig if family == "uniform" else GammaNoiseConfig
    with pytest.raises(ConfigError) as error:
        NOISES.build(cls(ratio=1.0, params=params, values=[pair]), 1)
    assert "noise." in str(error.value)


def class_split(n: int = 20_000, classes: int = 10) -> Split:
    return Split.from_tensors(torch.zeros(n, 1), torch.arange(n) % classes)


@pytest.mark.parametrize("cfg,changed_share", [
    (SymmetricNoiseConfig(ratio=0.4), 0.4 * 9 / 10),
    (FlipNoiseConfig(ratio=0.4), 0.4),
    (PairFlipNoiseConfig(ratio=0.25), 0.25),
])
def test_class_noise_changes_the_requested_fraction(cfg, changed_share):
    split, record = apply_noises([NOISES.build(cfg, 10)], class_split(), seed=0, stream=1)
    n = len(split)
    assert abs(record.fraction - changed_share) < 5 * math.sqrt(changed_share * (1 - changed_share) / n)
    assert torch.equal(record.corrupted, split.y != split.y_true)


def test_flip_never_keeps_the_class_and_pairflip_moves_to_next():
    split, record = apply_noises([NOISES.build(FlipNoiseConfig(ratio=1.0), 10)], class_split(), seed=1, stream=1)
    assert bool((split.y != split.y_true).all())
    split, _ = apply_noises([NOISES.build(PairFlipNoiseConfig(ratio=1.0), 10)], class_split(), seed=1, stream=1)
    assert torch.equal(split.y, (split.y_true + 1) % 10)


def test_offset_damages_the_requested_fraction_of_entries_and_records_the_mask():
    split, record = apply_noises([NOISES.build(OffsetNoiseConfig(ratio=0.05, low=1, high=5), 3)],
                                 regression_split(10_000, dims=3), seed=0, stream=1)
    assert record.corrupted.shape == (10_000, 3)
    assert record.fraction == pytest.approx(0.05, abs=1e-4)
    offsets = (split.y - split.y_true)[record.corrupted]
    assert set(offsets.unique().tolist()) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    assert float((split.y - split.y_true)[~record.corrupted].abs().max()) == 0.0


def test_pixel_noise_redraws_every_step_from_training_pixels_only():
    train = Split.from_tensors(torch.rand(100, 1, 8, 8) + 5.0, torch.zeros(100, dtype=torch.long))
    test = Split.from_tensors(torch.zeros(10, 1, 8, 8), torch.zeros(10, dtype=torch.long))
    test_before = test.x.clone()
    noise = NOISES.build(PixelNoiseConfig(ratio=0.3), 10)
    (split, record) = apply_noises([noise], train, seed=0, stream=1)
    assert torch.equal(split.x, train.x) and record.count == 0  # nothing happens once, before training
    transform = noise.input_transform(train)
    generator = torch.Generator().manual_seed(0)
    batch = torch.zeros(4000, 1, 8, 8)
    first, second = transform(batch, generator), transform(batch, generator)
    share = (first != 0).float().mean().item()
    assert abs(share - 0.3) < 0.01
    assert not torch.equal(first, second)  # re-drawn at every step
    assert float(first[first != 0].min()) >= 5.0  # drawn from the training pixel values
    assert torch.equal(test.x, test_before)


@pytest.mark.parametrize("ratio", [0.05, 0.3, 0.9])
def test_pixel_noise_keeps_other_pixels_exactly_and_draws_from_the_pixel_histogram(ratio):
    # standardised-looking pixels: 70 % at -0.4, 20 % at 1.5, 10 % at 2.8 (negative values included)
    levels = torch.tensor([-0.4, 1.5, 2.8])
    train_x = levels[torch.multinomial(torch.tensor([0.7, 0.2, 0.1]), 50_000, replacement=True,
                                       generator=torch.Generator().manual_seed(1))].view(-1, 1, 10, 5)
    train = Split.from_tensors(train_x, torch.zeros(len(train_x), dtype=torch.long))
    transform = NOISES.build(PixelNoiseConfig(ratio=ratio), 10).input_transform(train)
    batch = torch.full((2001, 1, 7, 7), 9.0)  # an odd number of pixels, none of them a training value
    out = transform(batch, torch.Generator().manual_seed(0))
    replaced = out != 9.0
    assert abs(float(replaced.float().mean()) - ratio) < 0.01
    shares = torch.stack([(out[replaced] == v).float().mean() for v in levels])
    torch.testing.assert_close(shares, torch.tensor([0.7, 0.2, 0.1]), atol=0.02, rtol=0)
