"""Detectors that read the per-sample training history recorded once by the trainer."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from noisy_runner.config import DetectorConfig, ForgettingDetectorConfig
from noisy_runner.detectors.base import DETECTORS, Detection, DetectionContext
from noisy_runner.detectors.rules import flag


def forgetting_scores(correct: Tensor) -> Tensor:
    """Forgetting events (Toneva et al. 2019): correct -> incorrect transitions across epochs.

    Never-learned samples count as maximally forgotten (epochs + 1).  The share of epochs a
    sample was misclassified is added as a tie-breaker in [0, 1), so the integer part stays
    the event count and a fixed threshold of 1 means "forgotten at least once or never learned".
    """
    correct = correct.bool()
    epochs = correct.shape[0]
    events = (correct[:-1] & ~correct[1:]).sum(dim=0).float()
    wrong_share = (~correct).float().mean(dim=0) * (1 - 1e-6)
    scores = events + wrong_share
    return torch.where(correct.any(dim=0), scores, torch.full_like(scores, epochs + 1.0))


def misclassified_share(correct: Tensor) -> Tensor:
    """Share of presentations at which a sample was misclassified (never learned: 1.0).

    Late-memorised noisy labels have few forgetting events but are misclassified for most of
    training; on mnist-10k with an MLP this separates 1 % and 20 % flipped labels far better
    than the event count (see README, detectors).
    """
    return (~correct.bool()).float().mean(dim=0)


def history_detection(scores: Tensor, cfg: Any, ctx: DetectionContext) -> Detection:
    train = ctx.bundle.train
    flags = flag(scores, cfg)
    return Detection(scores=scores, flags=flags, truth=ctx.record.per_sample(), item_index=train.index,
                     retrain_mask=flags)


@DETECTORS.register("forgetting")
def detect_forgetting(cfg: ForgettingDetectorConfig, ctx: DetectionContext) -> Detection:
    """Scores from correctness at every presentation; flags by ``cfg.threshold`` (default: share >= 0.7)."""
    score = forgetting_scores if cfg.score == "events" else misclassified_share
    return history_detection(score(ctx.history.correct), cfg, ctx)


@DETECTORS.register("small_loss")
def detect_small_loss(cfg: DetectorConfig, ctx: DetectionContext) -> Detection:
    """Mean training loss per sample: noisy labels are learned late and stay expensive."""
    return history_detection(ctx.history.loss.mean(dim=0), cfg, ctx)


@DETECTORS.register("aum")
def detect_aum(cfg: DetectorConfig, ctx: DetectionContext) -> Detection:
    """Area under the margin (Pleiss et al. 2020): mean of (given logit - largest other logit).

    The score is the negated AUM, so a fixed threshold of 0 flags samples whose average margin
    is not positive.  (The paper's threshold samples, a fake extra class, are not implemented.)
    """
    return history_detection(-ctx.history.margin.mean(dim=0), cfg, ctx)
