"""The masked-label study's outlier step: residuals of a robust fit against the observed labels.

Scoring against the *observed* (noisy) labels is what a user without the truth can do; the
published notebook scored against the true labels, which no real study has.
"""

from __future__ import annotations

from noisy_runner.config import CauchyConfig, MseConfig, ResidualDetectorConfig
from noisy_runner.detectors.base import DETECTORS, Detection, DetectionContext, entry_index, truth_like
from noisy_runner.detectors.rules import flag, robust_outliers
from noisy_runner.train import predict


@DETECTORS.register("residual")
def detect_residual(cfg: ResidualDetectorConfig, ctx: DetectionContext) -> Detection:
    """Score each training label entry by its squared residual; flag by ``cfg.threshold``.

    ``mad`` is the classic robust rule on the signed residuals, per output dimension:
    |r - median| > k * 1.4826 * MAD, so no noise rate needs to be known.

    ``loss=cauchy`` (default) fits a fresh model with a Cauchy loss unless the run already used
    it; ``loss=run`` reuses the run's model.
    """
    train = ctx.bundle.train
    robust = {"cauchy": CauchyConfig(scale=cfg.scale), "mse": MseConfig()}.get(cfg.loss)
    reuse = robust is None or robust.name == ctx.settings.loss.name
    model = ctx.model if reuse else ctx.train_fresh(loss=robust).model
    residual = predict(model, train.x, ctx.runtime, ctx.settings.train.eval_batch_size) - train.y
    scores = residual.pow(2).flatten()
    flags = robust_outliers(residual, cfg.k).flatten() if cfg.threshold == "mad" else flag(scores, cfg)
    return Detection(scores=scores, flags=flags, truth=truth_like(ctx.record, train.y).flatten(),
                     item_index=entry_index(train), retrain_mask=flags.view_as(residual))
