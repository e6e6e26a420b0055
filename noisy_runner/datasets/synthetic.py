"""The BIV paper's synthetic regression target, generated in memory (needs no files)."""

from __future__ import annotations

import torch

from noisy_runner.config import SyntheticConfig
from noisy_runner.data import DataBundle
from noisy_runner.datasets import DATASETS
from noisy_runner.datasets.common import regression_bundle


def synthetic_target(t: torch.Tensor) -> torch.Tensor:
    """f(t) = (t1 + 2 t2, t1^2, t1 t2^2) for t of shape (N, 2)."""
    t1, t2 = t[:, 0], t[:, 1]
    return torch.stack([t1 + 2 * t2, t1**2, t1 * t2**2], dim=1)


@DATASETS.register("synthetic")
def build_synthetic(cfg: SyntheticConfig, seed: int) -> DataBundle:
    """Inputs t ~ N(0, I_2); train inputs depend on the seed, the test set does not."""
    n_train, n_test = cfg.train_size or 2000, cfg.test_size or 1000
    t_train = torch.randn(n_train, 2, generator=torch.Generator().manual_seed(1000 + seed))
    t_test = torch.randn(n_test, 2, generator=torch.Generator().manual_seed(999_999))
    return regression_bundle(t_train, synthetic_target(t_train), t_test, synthetic_target(t_test), cfg,
                             standardise=False)
