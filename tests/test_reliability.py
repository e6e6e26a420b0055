"""Resume after SIGKILL, SIGTERM leaves 'interrupted' and a checkpoint, divergence is caught."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import REPO, cli

SLOW = ["dataset.train_size=4000", "train.batch_size=16", "train.epochs=12", "train.progress=false", "device=cpu",
        "noise=gamma", "loss=biv", "model.dropout=0.1"]


def start(run_dir: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "noisy_runner", *SLOW, *extra, f"hydra.run.dir={run_dir}"], cwd=REPO,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_epochs(run_dir: Path, epochs: int, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        metrics = run_dir / "metrics.csv"
        if metrics.exists() and len(metrics.read_text().strip().splitlines()) > epochs:
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    raise TimeoutError("training did not reach the epoch in time")


def summary(run_dir: Path) -> dict:
    return json.loads((run_dir / "summary.json").read_text())


def deterministic_rows(run_dir: Path) -> list[dict]:
    """metrics.csv without the wall-clock column, which no two runs share."""
    return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(open(run_dir / "metrics.csv"))]


def final_metrics(run_dir: Path) -> dict:
    data = summary(run_dir)
    return {k: data[k] for k in ("train_loss", "val_loss", "test_loss", "test_mse", "epochs_completed")}


def test_sigkill_then_resume_matches_uninterrupted_run(tmp_path):
    reference = tmp_path / "reference"
    assert start(reference).wait(timeout=300) == 0
    killed = tmp_path / "killed"
    process = start(killed)
    wait_for_epochs(killed, 4, process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    rows_before = deterministic_rows(killed)
    assert 4 <= len(rows_before) < 12 and summary(killed)["status"] == "running"
    resumed = cli(*SLOW, f"hydra.run.dir={killed}")  # the same command, the same run directory
    assert resumed.returncode == 0, resumed.stderr
    assert summary(killed)["resumed"] is True
    assert final_metrics(killed) == final_metrics(reference)
    rows = deterministic_rows(killed)
    assert [int(r["epoch"]) for r in rows] == list(range(1, 13))  # every epoch once, none lost
    # epochs after the last checkpoint are trained again (and their rows rewritten) with the same numbers
    assert rows[:len(rows_before)] == rows_before
    assert rows == deterministic_rows(reference)


def test_sigterm_leaves_interrupted_and_checkpoint_then_resume_true_finishes(tmp_path):
    outputs = tmp_path / "outputs" / "day"
    run_dir = outputs / "first"
    process = start(run_dir)
    wait_for_epochs(run_dir, 2, process)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 128 + signal.SIGTERM
    assert summary(run_dir)["status"] == "interrupted" and (run_dir / "checkpoint.pt").exists()
    # resume=true from a new run directory finds the latest unfinished run with the same config
    again = cli(*SLOW, "resume=true", f"hydra.run.dir={outputs / 'second'}")
    assert again.returncode == 0, again.stderr
    assert summary(run_dir)["status"] == "completed" and summary(run_dir)["epochs_completed"] == 12


def test_divergence_stops_with_status_and_keeps_last_good_checkpoint(tmp_path):
    result = cli("train.optimizer=sgd", "train.lr=1e12", "train.epochs=5", "train.progress=false",
                 f"hydra.run.dir={tmp_path}/run")
    assert result.returncode == 1
    data = summary(tmp_path / "run")
    assert data["status"] == "diverged" and "became" in data["error"]
    assert (tmp_path / "run" / "checkpoint.pt").exists() and not (tmp_path / "run" / "model.pt").exists()


def test_completed_run_is_never_overwritten(tmp_path):
    first = cli("train.epochs=2", "train.progress=false", f"hydra.run.dir={tmp_path}/run")
    assert first.returncode == 0
    before = (tmp_path / "run" / "summary.json").read_text()
    second = cli("train.epochs=2", "train.progress=false", "resume=" + str(tmp_path / "run"), cwd=tmp_path)
    assert second.returncode == 2 and "No unfinished run" in second.stderr
    third = cli("train.epochs=3", "train.progress=false", f"hydra.run.dir={tmp_path}/run")
    assert third.returncode == 2 and "never overwritten" in third.stderr
    assert (tmp_path / "run" / "summary.json").read_text() == before
    assert len((tmp_path / "run" / "metrics.csv").read_text().splitlines()) == 3


def test_preemption_signal_is_held_until_state_is_saved_then_passed_to_submitit():
    """SIGUSR2 (submitit's timeout/preemption signal) stops training; the run saves its state and
    only then lets the previous handler (submitit's requeue) act."""
    from noisy_runner.run import stop_on_signals

    seen = []
    previous = signal.signal(signal.SIGUSR2, lambda signum, frame: seen.append(signum))
    try:
        with stop_on_signals() as stop:
            assert not stop()
            os.kill(os.getpid(), signal.SIGUSR2)
            time.sleep(0.05)
            assert stop() and seen == []  # held: the run checkpoints first
            stop.pass_on()
            assert seen == [signal.SIGUSR2]
        os.kill(os.getpid(), signal.SIGUSR2)
        time.sleep(0.05)
        assert seen == [signal.SIGUSR2, signal.SIGUSR2]  # the previous handler is back in place
    finally:
        signal.signal(signal.SIGUSR2, previous)


def test_trainer_state_round_trip_resumes_exactly_with_history_and_pixel_noise():
    """Two epochs, save, restore into a fresh trainer, two more == four epochs straight."""
    import torch

    from noisy_runner.config import CeConfig, DeviceConfig, MlpConfig, PixelNoiseConfig, TrainConfig
    from noisy_runner.data import Split
    from noisy_runner.device import resolve_runtime
    from noisy_runner.losses import LOSSES
    from noisy_runner.models import MODELS
    from noisy_runner.noise import NOISES
    from noisy_runner.train import Trainer

    runtime = resolve_runtime(DeviceConfig(name="cpu"))
    data = Split.from_tensors(torch.randn(300, 1, 6, 6, generator=torch.Generator().manual_seed(0)),
                              torch.arange(300) % 3)
    pixel = NOISES.build(PixelNoiseConfig(ratio=0.2), 3).input_transform(data)

    def trainer() -> Trainer:
        torch.manual_seed(0)
        model = MODELS.build(MlpConfig(hidden_sizes=[16], dropout=0.2), (1, 6, 6), 3)
        return Trainer(model=model, loss_fn=LOSSES.build(CeConfig(), data), train=data,
                       cfg=TrainConfig(epochs=4, batch_size=32, scheduler="cosine", progress=False), runtime=runtime,
                       task="classification", seed=0, transforms=[pixel], record_history=True)

    straight = trainer()
    straight.fit()
    first = trainer()
    first.run_epoch(), first.run_epoch()
    state = first.state_dict()
    second = trainer()
    second.load_state_dict(state)
    second.fit()
    for a, b in zip(straight.model.state_dict().values(), second.model.state_dict().values()):
        assert torch.equal(a, b)
    assert torch.equal(straight.history.correct, second.history.correct)
    assert torch.equal(straight.history.loss, second.history.loss)
