"""What the benchmark scripts share: run one configuration through the runner's own path."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hydra import compose, initialize_config_dir  # noqa: E402

from noisy_runner.run import config_dir, run_job  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def run(*overrides: str) -> dict:
    """Compose ``overrides`` like the CLI does, run in a temporary directory, return the summary
    with ``wall`` (seconds, whole run including any detector) added."""
    with initialize_config_dir(config_dir=config_dir(), version_base="1.3"):
        cfg = compose(config_name="config", overrides=["train.progress=false", *overrides])
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        summary = run_job(cfg, Path(tmp) / "run")
        summary["wall"] = time.perf_counter() - start
    if summary["status"] != "completed":
        raise RuntimeError(f"run {overrides} ended {summary['status']}: {summary.get('error')}")
    return summary


def mean_std(values: Sequence[float]) -> str:
    values = list(values)
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.4f} ± {spread:.4f}"
