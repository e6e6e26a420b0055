"""Multirun sweeps: basic and joblib launchers, wandb offline runs, failed jobs, the report."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from conftest import cli
from noisy_runner.report import report
from wandb_reader import read_run

QUICK = ["train.epochs=2", "train.progress=false", "dataset.train_size=200", "dataset.test_size=100"]


def test_basic_multirun_sweeps_and_reports(tmp_path):
    result = cli("-m", "noise=gamma", "noise.ratio=0.2,0.8", "seed=0,1", *QUICK, f"hydra.sweep.dir={tmp_path}")
    assert result.returncode == 0, result.stderr
    statuses = list(csv.DictReader(open(tmp_path / "sweep_summary.csv")))
    assert [r["status"] for r in statuses] == ["completed"] * 4
    frame = report(tmp_path, ["test_mse"], "noise.ratio")
    assert len(frame) == 4 and set(frame["noise.ratio"]) == {0.2, 0.8} and set(frame["seed"]) == {0, 1}
    assert (tmp_path / "report.csv").exists() and (tmp_path / "test_mse_vs_noise.ratio.png").stat().st_size > 10_000


def test_sweep_declared_in_yaml(tmp_path):
    result = cli("-m", "+experiment=masked_synthetic", *QUICK, "detector=none", f"hydra.sweep.dir={tmp_path}")
    assert result.returncode == 0, result.stderr  # the preset's hydra.sweeper.params: seed 0,1,2
    seeds = sorted(report(tmp_path, ["test_mse"])["seed"])
    assert seeds == [0, 1, 2]


def test_failed_job_shows_as_failed_and_sweep_exits_nonzero(tmp_path):
    result = cli("-m", "train.optimizer=sgd", "train.lr=0.01,1e12", *QUICK, f"hydra.sweep.dir={tmp_path}")
    assert result.returncode == 1
    statuses = {r["job"]: r["status"] for r in csv.DictReader(open(tmp_path / "sweep_summary.csv"))}
    assert statuses == {"0": "completed", "1": "diverged"}
    assert "1 of 2 jobs completed" in result.stderr and "job 1: diverged" in result.stderr


def test_joblib_wandb_offline_gives_one_run_per_job(tmp_path):
    result = cli("-m", "launcher=joblib", "hydra.launcher.n_jobs=2", "logger=wandb", "logger.mode=offline",
                 "seed=0,1,2,3", *QUICK, f"hydra.sweep.dir={tmp_path}", env={"WANDB_MODE": "offline"})
    assert result.returncode == 0, result.stderr
    runs = [read_run(next((tmp_path / str(job) / "wandb").glob("offline-run-*"))) for job in range(4)]
    assert len({r["id"] for r in runs}) == 4
    assert len({r["group"] for r in runs}) == 1 and runs[0]["group"].startswith("sweep-")
    for job, run in enumerate(runs):
        assert run["config"]["seed"] == job and run["config"]["device"]["threads"] == 1
        epochs = [row["epoch"] for row in run["history"] if "epoch" in row]
        assert epochs == [1, 2]
        metrics = pd.read_csv(tmp_path / str(job) / "metrics.csv")
        assert [row["test_mse"] for row in run["history"] if "test_mse" in row] == list(metrics["test_mse"])
        assert run["summary"]["status"] == "completed"


def test_wandb_failure_never_kills_the_run(tmp_path):
    result = cli("logger=wandb", "logger.mode=online", *QUICK, f"hydra.run.dir={tmp_path}/run",
                 env={"WANDB_API_KEY": "x" * 40, "WANDB_BASE_URL": "http://127.0.0.1:9", "WANDB_MODE": "online"})
    assert result.returncode == 0, result.stderr
    assert "wandb" in result.stderr and "CSV" in result.stderr
    assert len(pd.read_csv(tmp_path / "run" / "metrics.csv")) == 2


def test_detector_results_logged_as_wandb_table(tmp_path):
    result = cli("noise=offset", "detector=residual", "logger=wandb", "logger.mode=offline", *QUICK,
                 f"hydra.run.dir={tmp_path}/run", env={"WANDB_MODE": "offline"})
    assert result.returncode == 0, result.stderr
    run = read_run(next(Path(tmp_path / "run" / "wandb").glob("offline-run-*")))
    assert "detection" in run["tables"] and "detection_auroc" in run["summary"]
