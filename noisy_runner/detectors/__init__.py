"""Detectors: ``(cfg, ctx) -> Detection`` of per-item scores and flags.

The score is kept apart from the rule that turns it into flags (``rules.py``), and scoring
against the runner's own record of what it corrupted is shared code (``scoring.py``).
"""

from __future__ import annotations

from noisy_runner.detectors.base import DETECTORS, Detection, DetectionContext
from noisy_runner.detectors.scoring import score_detection

from noisy_runner.detectors import autoencoder, confident, history, residual  # noqa: E402,F401  (registration)

__all__ = ["DETECTORS", "Detection", "DetectionContext", "score_detection"]
