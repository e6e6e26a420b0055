"""Shared fixtures: composing configs through Hydra's compose API and tiny generated datasets."""

from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir

from noisy_runner.run import config_dir, run_job

REPO = Path(__file__).resolve().parents[1]
FAST = ["train.progress=false", "device=cpu"]

os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")


def make_cfg(*overrides: str):
    """A composed config, exactly as the CLI would compose it (no Hydra run directory)."""
    with initialize_config_dir(config_dir=config_dir(), version_base="1.3"):
        return compose(config_name="config", overrides=[*FAST, *overrides])


def run(tmp_path: Path, *overrides: str, name: str = "run") -> dict:
    """Compose and execute one run into ``tmp_path/name``; returns its summary."""
    return run_job(make_cfg(*overrides), tmp_path / name)


def cli(*args: str, cwd: Path = REPO, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """``python -m noisy_runner ARGS`` in a subprocess."""
    full_env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"} | (env or {})
    return subprocess.run([sys.executable, "-m", "noisy_runner", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def write_idx(path: Path, array: np.ndarray) -> None:
    """The IDX format of MNIST: magic (dtype code 0x08 = uint8, ndim), sizes, raw bytes."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def mnist_root(tmp_path: Path) -> Path:
    """A tiny MNIST in torchvision's layout: 10 classes whose images differ by a bright row."""
    rng = np.random.default_rng(0)
    raw = tmp_path / "mnist" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for prefix, n in (("train", 200), ("t10k", 50)):
        labels = np.arange(n) % 10
        images = rng.integers(0, 40, (n, 28, 28))
        images[np.arange(n), labels * 2 + 3, :] = 255  # a class-specific bright row: learnable in seconds
        write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels)
    return tmp_path / "mnist"


@pytest.fixture
def cifar_root(tmp_path: Path) -> Path:
    """A tiny CIFAR-10 in the python pickle layout (5 train batches, 1 test batch, meta)."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "cifar" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    def batch(n: int) -> dict:
        labels = list(np.arange(n) % 10)
        return {"data": rng.integers(0, 255, (n, 3072), dtype=np.uint8), "labels": labels}

    for i in range(1, 6):
        (folder / f"data_batch_{i}").write_bytes(pickle.dumps(batch(20)))
    (folder / "test_batch").write_bytes(pickle.dumps(batch(30)))
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": names}))
    return tmp_path / "cifar"
