"""Each loss against a value computed by hand."""

from __future__ import annotations

import math

import pytest
import torch

from noisy_runner.config import (BivConfig, CauchyConfig, CeConfig, CutoffConfig, IvConfig, MaskedCeConfig,
                                 MaskedMseConfig, MseConfig)
from noisy_runner.data import Batch, Split
from noisy_runner.losses import LOSSES

PRED = torch.tensor([[1.0], [2.0], [4.0]])
TARGET = torch.tensor([[0.0], [0.0], [0.0]])  # squared errors 1, 4, 16
VARIANCE = torch.tensor([0.5, 1.5, 3.5])
ROWS = torch.arange(3)


def loss_value(cfg, batch: Batch, train: Split | None = None, pred=PRED, target=TARGET) -> float:
    train = train or Split(x=torch.zeros(3, 1), y=TARGET, y_true=TARGET, index=ROWS, variance=VARIANCE)
    return float(LOSSES.build(cfg, train)(pred, target, batch))


def test_mse():
    assert loss_value(MseConfig(), Batch(ROWS)) == pytest.approx(7.0)


def test_biv_normalises_by_the_batch_sum_of_weights():
    # w = 1/(var + 0.5) = 1, 0.5, 0.25 -> (1*1 + 0.5*4 + 0.25*16) / 1.75
    assert loss_value(BivConfig(epsilon=0.5), Batch(ROWS, variance=VARIANCE)) == pytest.approx(7.0 / 1.75)


def test_iv_normalises_over_the_whole_training_set():
    train = Split(x=torch.zeros(4, 1), y=torch.zeros(4, 1), y_true=torch.zeros(4, 1), index=torch.arange(4),
                  variance=torch.tensor([0.5, 1.5, 3.5, 0.5]))  # weights 1, .5, .25, 1: mean 0.6875
    batch = Batch(ROWS, variance=VARIANCE)
    expected = (1 * 1 + 0.5 * 4 + 0.25 * 16) / 0.6875 / 3
    assert loss_value(IvConfig(epsilon=0.5), batch, train) == pytest.approx(expected)


def test_cutoff_keeps_samples_below_threshold():
    assert loss_value(CutoffConfig(threshold=2.0), Batch(ROWS, variance=VARIANCE)) == pytest.approx(2.5)


def test_masked_mse_ignores_masked_entries_and_whole_masked_samples():
    mask = torch.tensor([[False], [True], [False]])
    assert loss_value(MaskedMseConfig(), Batch(ROWS, mask=mask)) == pytest.approx(8.5)
    assert loss_value(MaskedMseConfig(), Batch(ROWS, mask=torch.tensor([True, False, True]))) == pytest.approx(4.0)


def test_cauchy():
    expected = sum(0.5 * 4 * math.log1p(e / 4) for e in (1, 4, 16)) / 3
    assert loss_value(CauchyConfig(scale=2.0), Batch(ROWS)) == pytest.approx(expected)


def test_ce_and_masked_ce():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    labels = torch.tensor([0, 0])
    per_sample = [-math.log(math.exp(2) / (math.exp(2) + 1)), -math.log(1 / (1 + math.e))]
    rows = torch.arange(2)
    assert loss_value(CeConfig(), Batch(rows), pred=logits, target=labels) == pytest.approx(sum(per_sample) / 2)
    masked = Batch(rows, mask=torch.tensor([False, True]))
    assert loss_value(MaskedCeConfig(), masked, pred=logits, target=labels) == pytest.approx(per_sample[0])
