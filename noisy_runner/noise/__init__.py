"""Noise models.  Label noise is a pure function applied once: ``(split, rng) -> (split, record)``.
Input noise is a per-batch transform applied inside the training step.

Every builder returns a ``Noise``; see ``base.py``.
"""

from __future__ import annotations

from noisy_runner.noise.base import NOISES, Noise, NoiseRecord, apply_noises

from noisy_runner.noise import classification, heteroscedastic, offset, pixel  # noqa: E402,F401  (registration)

__all__ = ["NOISES", "Noise", "NoiseRecord", "apply_noises"]
