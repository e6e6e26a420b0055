"""Collect a sweep into one table and a few plots.

    python -m noisy_runner.report <sweep dir> [--metric test_acc test_ce] [--x noise.ratio]

Reads every job's ``summary.json`` and Hydra's ``.hydra/overrides.yaml``, writes
``report.csv`` (one row per job), prints the mean and spread over seeds per setting, and
draws ``<metrics>_vs_<x>.png``: one panel per metric, one line per other swept setting, with
mean +- standard deviation over seeds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

import pandas as pd
import yaml

from noisy_runner.outputs import SUMMARY, read_json

IGNORED_PREFIXES = ("hydra", "launcher", "+experiment", "experiment", "logger")


def parse_overrides(job_dir: Path) -> dict[str, str]:
    path = job_dir / ".hydra" / "overrides.yaml"
    items = yaml.safe_load(path.read_text()) if path.exists() else []
    pairs = (item.split("=", 1) for item in items or [] if "=" in item)
    return {k.lstrip("+~"): v for k, v in pairs if not k.lstrip("+~").startswith(IGNORED_PREFIXES)}


def collect(sweep_dir: Path) -> pd.DataFrame:
    """One row per job directory that has a summary: overrides first, then the summary."""
    rows = []
    for summary_path in sorted(sweep_dir.rglob(SUMMARY)):
        job_dir = summary_path.parent
        summary = read_json(summary_path) or {}
        rows.append({"job": str(job_dir.relative_to(sweep_dir)), **parse_overrides(job_dir), **summary})
    if not rows:
        raise SystemExit(f"noisy_runner.report: no {SUMMARY} under {sweep_dir}; pass a sweep (or run) directory.")
    frame = pd.DataFrame(rows)
    for column in frame.columns:
        converted = pd.to_numeric(frame[column], errors="coerce")
        if converted.notna().sum() == frame[column].notna().sum():
            frame[column] = converted
    return frame


def swept(frame: pd.DataFrame) -> list[str]:
    """Override columns whose value differs between jobs."""
    override_columns = [c for c in frame.columns if "." in c or c in ("seed", "noise", "loss", "model", "dataset",
                                                                      "detector", "device")]
    return [c for c in override_columns if c in frame and frame[c].nunique(dropna=False) > 1]


def default_metrics(frame: pd.DataFrame) -> list[str]:
    if "test_acc" in frame:
        return ["test_acc", "test_ce"]
    return [m for m in ("test_mse",) if m in frame]


def aggregate(frame: pd.DataFrame, metrics: Sequence[str], settings: Sequence[str]) -> pd.DataFrame:
    """Mean and standard deviation over seeds of each metric, per setting."""
    if not settings:
        return frame[list(metrics)].agg(["mean", "std", "count"]).T
    grouped = frame.groupby(list(settings), dropna=False)[list(metrics)]
    return grouped.agg(["mean", "std", "count"])


def plot(frame: pd.DataFrame, metrics: Sequence[str], x: str, lines: Sequence[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 4.2), squeeze=False)
    groups = frame.groupby(list(lines), dropna=False) if lines else [((), frame)]
    for ax, metric in zip(axes[0], metrics):
        for key, part in groups:
            stats = part.groupby(x)[metric].agg(["mean", "std"]).sort_index()
            key = key if isinstance(key, tuple) else (key,)
            label = ", ".join(f"{name}={value}" for name, value in zip(lines, key)) or metric
            ax.plot(stats.index, stats["mean"], marker="o", label=label)
            ax.fill_between(stats.index, stats["mean"] - stats["std"].fillna(0), stats["mean"] + stats["std"].fillna(0),
                            alpha=0.2)
        ax.set_xlabel(x)
        ax.set_ylabel(metric)
        ax.set_title(f"{metric} vs {x} (mean ± std over seeds)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def report(sweep_dir: Path, metrics: Optional[Sequence[str]] = None, x: Optional[str] = None,
           out: Optional[Path] = None) -> pd.DataFrame:
    frame = collect(sweep_dir)
    out = out or sweep_dir
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "report.csv", index=False)
    metrics = list(metrics or default_metrics(frame))
    missing = [m for m in metrics if m not in frame]
    if missing:
        raise SystemExit(f"noisy_runner.report: no column {missing}; available: {', '.join(frame.columns)}")
    settings = [c for c in swept(frame) if c != "seed"]
    if "status" in frame and (frame["status"] != "completed").any():
        bad = frame[frame["status"] != "completed"]
        print(f"{len(bad)} job(s) did not complete:\n{bad[['job', 'status']].to_string(index=False)}\n")
    completed = frame[frame["status"] == "completed"] if "status" in frame else frame
    with pd.option_context("display.width", 200, "display.max_columns", 50):
        print(aggregate(completed, metrics, settings).to_string())
    x = x or ("noise.ratio" if "noise.ratio" in settings else (settings[0] if settings else None))
    if x is not None:
        if x not in frame:
            raise SystemExit(f"noisy_runner.report: --x {x} is not a swept parameter; swept: {', '.join(settings)}")
        path = out / f"{'_'.join(metrics)}_vs_{x}.png"
        plot(completed, metrics, x, [c for c in settings if c != x], path)
        print(f"\nwrote {out / 'report.csv'} and {path}")
    return frame


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m noisy_runner.report", description=__doc__.split("\n")[1])
    parser.add_argument("sweep_dir", type=Path, help="a multirun directory (or any folder of runs)")
    parser.add_argument("--metric", nargs="+", help="summary columns to report (default: test_acc test_ce, or test_mse)")
    parser.add_argument("--x", help="swept parameter on the x axis (default: noise.ratio when swept)")
    parser.add_argument("--out", type=Path, help="where to write report.csv and plots (default: the sweep dir)")
    args = parser.parse_args(argv)
    if not args.sweep_dir.is_dir():
        parser.error(f"{args.sweep_dir} is not a directory")
    report(args.sweep_dir, args.metric, args.x, args.out)


if __name__ == "__main__":
    main(sys.argv[1:])
