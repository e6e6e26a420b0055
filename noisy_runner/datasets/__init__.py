"""Dataset builders: ``(cfg, seed) -> DataBundle`` of clean train and test splits on the CPU.

Every loader reads local files only; a missing file is a ``DataMissingError`` that says which
files are expected where.  The train/validation split and the move to the device happen in
``prepare``, shared by every dataset.
"""

from __future__ import annotations

from noisy_runner.registry import Registry

DATASETS: Registry = Registry("dataset")

from noisy_runner.datasets import images, synthetic, tabular, vision  # noqa: E402,F401  (registration)
from noisy_runner.datasets.common import DataMissingError, hold_out_classes, prepare  # noqa: E402

__all__ = ["DATASETS", "DataMissingError", "hold_out_classes", "prepare"]
