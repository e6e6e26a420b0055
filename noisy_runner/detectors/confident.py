"""Confident learning (Northcutt et al. 2021) through cleanlab, on K-fold out-of-sample probabilities."""

from __future__ import annotations

import torch

from noisy_runner.config import ConfidentDetectorConfig
from noisy_runner.detectors.base import DETECTORS, Detection, DetectionContext, per_sample_detection
from noisy_runner.detectors.rules import flag
from noisy_runner.train import predict


def out_of_fold_probabilities(cfg: ConfidentDetectorConfig, ctx: DetectionContext) -> torch.Tensor:
    """Each training sample's class probabilities from a model that never saw it (cross-fitting)."""
    train = ctx.bundle.train
    n = len(train)
    generator = torch.Generator().manual_seed(ctx.settings.seed)
    fold_of = (torch.randperm(n, generator=generator) % cfg.folds).to(train.y.device)
    probs = torch.zeros(n, ctx.bundle.num_outputs, device=train.y.device)
    for fold in range(cfg.folds):
        held_out = fold_of == fold
        model = ctx.train_fresh(train=train.subset(~held_out), epochs=cfg.epochs, seed_offset=fold + 1).model
        logits = predict(model, train.x[held_out], ctx.runtime, ctx.settings.train.eval_batch_size)
        probs[held_out] = logits.softmax(dim=1)
    return probs


@DETECTORS.register("confident")
def detect_confident(cfg: ConfidentDetectorConfig, ctx: DetectionContext) -> Detection:
    """Flags from ``cleanlab.filter.find_label_issues`` (``threshold=own``) or from a generic rule on
    the score, 1 - p(given label) (self-confidence)."""
    from cleanlab.filter import find_label_issues

    labels = ctx.bundle.train.y
    probs = out_of_fold_probabilities(cfg, ctx)
    scores = 1.0 - probs.gather(1, labels[:, None]).squeeze(1)
    if cfg.threshold == "own":
        issues = find_label_issues(labels=labels.cpu().numpy(), pred_probs=probs.cpu().numpy(),
                                   filter_by=cfg.filter_by)
        flags = torch.as_tensor(issues, device=labels.device)
    else:
        flags = flag(scores, cfg)
    return per_sample_detection(scores, flags, ctx)
