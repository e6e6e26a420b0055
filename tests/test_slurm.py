"""A real two-job sweep through hydra-submitit-launcher on the local SLURM cluster.

Start the cluster with ``bash scripts/slurm_local.sh start`` (``.ci/run`` does); skipped when
``sbatch`` is absent or no node answers.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess

import pytest

from conftest import cli


def slurm_up() -> bool:
    if shutil.which("sbatch") is None or shutil.which("sinfo") is None:
        return False
    state = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, timeout=20)
    return state.returncode == 0 and any(s in state.stdout for s in ("idle", "mix", "alloc"))


pytestmark = [pytest.mark.slurm, pytest.mark.skipif(not slurm_up(), reason="no local SLURM cluster (sbatch/sinfo)")]


def test_two_job_sweep_through_submitit_slurm(tmp_path):
    result = cli("-m", "launcher=slurm", "hydra.launcher.cpus_per_task=1", "hydra.launcher.mem_gb=1",
                 "hydra.launcher.timeout_min=10", "seed=0,1", "train.epochs=2", "train.progress=false",
                 "dataset.train_size=200", f"hydra.sweep.dir={tmp_path}", timeout=600)
    assert result.returncode == 0, result.stderr
    for job in ("0", "1"):
        summary = json.loads((tmp_path / job / "summary.json").read_text())
        assert summary["status"] == "completed" and summary["seed"] == int(job)
        assert summary["threads"] == 1  # SLURM_CPUS_PER_TASK=1 sets the torch threads
    assert list((tmp_path / ".submitit").glob("*/*_submission.sh"))
    statuses = [r["status"] for r in csv.DictReader(open(tmp_path / "sweep_summary.csv"))]
    assert statuses == ["completed", "completed"]


def test_failed_slurm_job_is_reported_failed(tmp_path):
    result = cli("-m", "launcher=slurm", "hydra.launcher.cpus_per_task=1", "hydra.launcher.mem_gb=1",
                 "train.optimizer=sgd", "train.lr=0.01,1e12", "train.epochs=2", "train.progress=false",
                 "dataset.train_size=200", f"hydra.sweep.dir={tmp_path}", timeout=600)
    assert result.returncode == 1
    statuses = {r["job"]: r["status"] for r in csv.DictReader(open(tmp_path / "sweep_summary.csv"))}
    assert statuses == {"0": "completed", "1": "diverged"}


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("NOISY_RUNNER_SLOW_TESTS") != "1",
                    reason="takes ~5 min (SLURM's requeue delay); set NOISY_RUNNER_SLOW_TESTS=1")
def test_timed_out_job_is_requeued_and_resumes_from_its_checkpoint(tmp_path):
    """SLURM sends SIGUSR2 80 s before the 2-minute limit: the run checkpoints, says 'interrupted',
    submitit requeues it, and the requeued job resumes in the same directory and completes."""
    result = cli("-m", "launcher=slurm", "hydra.launcher.cpus_per_task=2", "hydra.launcher.mem_gb=2",
                 "hydra.launcher.timeout_min=2", "hydra.launcher.signal_delay_s=80", "hydra.launcher.max_num_timeout=4",
                 "dataset.train_size=20000", "train.epochs=150", "train.progress=false",
                 f"hydra.sweep.dir={tmp_path}", timeout=900)
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "0" / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["resumed"] is True and summary["epochs_completed"] == 150
    assert "resuming" in (tmp_path / "0" / "noisy_runner.log").read_text()
