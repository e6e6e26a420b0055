"""Tabular regression from CSV files: UCI Wine Quality and any user CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import pandas as pd
import torch

from noisy_runner.config import ConfigError, CsvConfig, WineConfig
from noisy_runner.data import DataBundle, Split
from noisy_runner.datasets import DATASETS
from noisy_runner.datasets.common import hold_out_test, regression_bundle, require_path

WINE_FILES = {"red": "winequality-red.csv", "white": "winequality-white.csv"}


def read_csv(path: Path, separator: Optional[str] = None) -> pd.DataFrame:
    """Read a CSV whose separator is ``;`` or ``,`` (sniffed from the header line when not given)."""
    if separator is None:
        with open(path, encoding="utf-8") as handle:
            header = handle.readline()
        separator = ";" if header.count(";") > header.count(",") else ","
    return pd.read_csv(path, sep=separator)


def frame_bundle(frame: pd.DataFrame, inputs: list[str], targets: list[str], cfg) -> DataBundle:
    x = torch.tensor(frame[inputs].to_numpy(dtype="float32"))
    y = torch.tensor(frame[targets].to_numpy(dtype="float32"))
    train, test = hold_out_test(Split.from_tensors(x, y), cfg.test_fraction)
    return regression_bundle(train.x, train.y, test.x, test.y, cfg)


@DATASETS.register("wine")
def build_wine(cfg: WineConfig, seed: int) -> DataBundle:
    """Wine Quality (Cortez et al. 2009): 11 inputs, the quality score as target.

    ``color=both`` concatenates the two files and adds an ``is_red`` input.
    """
    root = Path(cfg.root or ".")
    colors = ["red", "white"] if cfg.color == "both" else [cfg.color]
    frames = []
    for color in colors:
        path = require_path(root / WINE_FILES[color], "dataset.root",
                            f"the UCI Wine Quality file {WINE_FILES[color]}")
        frame = read_csv(path)
        if cfg.color == "both":
            frame["is_red"] = float(color == "red")
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True)
    inputs = [c for c in frame.columns if c != "quality"]
    return frame_bundle(frame, inputs, ["quality"], cfg)


@DATASETS.register("csv")
def build_csv(cfg: CsvConfig, seed: int) -> DataBundle:
    """Any CSV: named target columns, and named input columns (default: all the others)."""
    path = require_path(Path(cfg.path), "dataset.path", "a CSV file with a header row")
    frame = read_csv(path)
    targets = list(cfg.target_columns)
    inputs = list(cfg.input_columns) or [c for c in frame.columns if c not in targets]
    for key, columns in (("dataset.target_columns", targets), ("dataset.input_columns", inputs)):
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ConfigError(key, missing, f"Not columns of {path}; it has: {', '.join(map(str, frame.columns))}.")
    return frame_bundle(frame, inputs, targets, cfg)
