"""Detectors that read the per-sample training history recorded once by the trainer."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from noisy_runner.config import AumDetectorConfig, DetectorConfig, ForgettingDetectorConfig
from noisy_runner.detectors.base import DETECTORS, Detection, DetectionContext, per_sample_detection
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
    return per_sample_detection(scores, flag(scores, cfg), ctx)


@DETECTORS.register("forgetting")
def detect_forgetting(cfg: ForgettingDetectorConfig, ctx: DetectionContext) -> Detection:
    """Scores from correctness at every presentation; flags by ``cfg.threshold`` (default: share >= 0.7)."""
    score = forgetting_scores if cfg.score == "events" else misclassified_share
    return history_detection(score(ctx.history.correct), cfg, ctx)


@DETECTORS.register("small_loss")
def detect_small_loss(cfg: DetectorConfig, ctx: DetectionContext) -> Detection:
    """Mean training loss per sample: noisy labels are learned late and stay expensive."""
    return history_detection(ctx.history.loss.mean(dim=0), cfg, ctx)


def threshold_sample_passes(n: int, num_classes: int, seed: int) -> list[Tensor]:
    """Two disjoint random sets of n / (K + 1) samples each, to be moved to a fake class."""
    size = max(1, n // (num_classes + 1))
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return [order[:size], order[size:2 * size]]


def aum_with_threshold_samples(cfg: AumDetectorConfig, ctx: DetectionContext) -> tuple[Tensor, dict[str, float]]:
    """Per sample: (fake-class percentile AUM) - (its AUM), averaged over the passes where it kept its label.

    Pleiss et al. 2020: samples re-labelled to an extra class that no input belongs to behave
    like mislabelled ones, so their AUM distribution calibrates the threshold without knowing
    the noise rate.  Positive score = below the threshold = flagged.
    """
    train = ctx.bundle.train
    n, num_classes = len(train), ctx.bundle.num_outputs
    device = train.y.device
    total, passes = torch.zeros(n, device=device), torch.zeros(n, device=device)
    metrics = {}
    for number, fake in enumerate(threshold_sample_passes(n, num_classes, ctx.settings.seed), start=1):
        fake = fake.to(device)
        labels = train.y.clone()
        labels[fake] = num_classes
        history = ctx.train_fresh(train=train.with_(y=labels), num_outputs=num_classes + 1, record_history=True,
                                  seed_offset=200 + number).history
        aum = history.margin.mean(dim=0)
        threshold = torch.quantile(aum[fake].float(), cfg.percentile / 100.0)
        kept = torch.ones(n, dtype=torch.bool, device=device)
        kept[fake] = False
        total += torch.where(kept, threshold - aum, 0.0)
        passes += kept.float()
        metrics[f"aum_threshold_pass{number}"] = float(threshold)
    return total / passes.clamp_min(1.0), metrics


@DETECTORS.register("aum")
def detect_aum(cfg: AumDetectorConfig, ctx: DetectionContext) -> Detection:
    """Area under the margin (Pleiss et al. 2020): mean over epochs of (given logit - largest other).

    ``threshold=own``: the paper's threshold samples (two extra trainings); otherwise the score
    is the negated AUM of the main run and ``threshold``/``value`` flag it (``fixed`` 0: flag a
    non-positive average margin).
    """
    if cfg.threshold != "own":
        return history_detection(-ctx.history.margin.mean(dim=0), cfg, ctx)
    scores, metrics = aum_with_threshold_samples(cfg, ctx)
    return per_sample_detection(scores, scores > 0, ctx, metrics)
