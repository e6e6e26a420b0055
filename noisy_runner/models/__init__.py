"""Model builders: ``(cfg, input_shape, num_outputs) -> nn.Module``; sizes come from the dataset."""

from __future__ import annotations

from noisy_runner.registry import Registry

MODELS: Registry = Registry("model")

from noisy_runner.models import networks  # noqa: E402,F401  (registration)

__all__ = ["MODELS"]
