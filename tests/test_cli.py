"""The main job end to end: CLI, outputs, reproducibility, every group option composes."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from conftest import REPO, cli, make_cfg, run
from noisy_runner.config import SCHEMAS
from noisy_runner.datasets import DATASETS
from noisy_runner.detectors import DETECTORS
from noisy_runner.losses import LOSSES
from noisy_runner.models import MODELS
from noisy_runner.noise import NOISES
from noisy_runner.validate import to_settings

SMALL = ["train.epochs=3", "dataset.train_size=300", "dataset.test_size=100"]
REGISTRIES = {"dataset": DATASETS, "model": MODELS, "loss": LOSSES, "noise": NOISES, "detector": DETECTORS}


def test_main_job_biv_gamma_via_cli(tmp_path):
    result = cli("loss=biv", "noise=gamma", "train.progress=false", *SMALL, f"hydra.run.dir={tmp_path}/run")
    assert result.returncode == 0, result.stderr
    out = tmp_path / "run"
    for name in ("config.yaml", "metrics.csv", "summary.json", "model.pt", "checkpoint.pt"):
        assert (out / name).exists(), name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["device"] == "cpu" and summary["noise_fraction"] == 1.0
    rows = list(csv.DictReader(open(out / "metrics.csv")))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert set(rows[0]) >= {"epoch", "train_loss", "val_loss", "test_loss", "test_mse", "lr", "seconds"}
    assert float(rows[-1]["test_mse"]) == pytest.approx(summary["test_mse"])
    assert "name: biv" in (out / "config.yaml").read_text()
    # one closing line tells the user the result and where it went
    assert f"completed: test_mse {summary['test_mse']:.4g}" in result.stdout and str(out) in result.stdout


def test_console_script_and_default_run_dirs_are_unique(tmp_path):
    exe = str(Path(sys.executable).parent / "noisy-runner")
    first = subprocess.run([exe, "train.epochs=1", "train.progress=false", "dataset.train_size=100"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    second = cli("train.epochs=1", "train.progress=false", "dataset.train_size=100", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    runs = sorted(tmp_path.glob("outputs/*/*/summary.json"))
    assert len(runs) == 2 and runs[0].parent != runs[1].parent  # microsecond run dirs never collide


def test_same_seed_same_numbers_other_seed_other_numbers(tmp_path):
    a = run(tmp_path, *SMALL, "noise=gamma", "loss=biv", name="a")
    b = run(tmp_path, *SMALL, "noise=gamma", "loss=biv", name="b")
    c = run(tmp_path, *SMALL, "noise=gamma", "loss=biv", "seed=1", name="c")
    assert a["test_mse"] == b["test_mse"] and a["train_loss"] == b["train_loss"]
    assert a["test_mse"] != c["test_mse"]


def test_summary_reports_metrics_in_original_units(tmp_path):
    summary = run(tmp_path, *SMALL)
    cfg = make_cfg(*SMALL)
    bundle = DATASETS.build(to_settings(cfg).dataset, 0)
    ratio = summary["test_mse_original"] / summary["test_mse"]
    assert min(bundle.label_std.pow(2)).item() <= ratio <= max(bundle.label_std.pow(2)).item()


@pytest.mark.parametrize("group", sorted(REGISTRIES))
def test_every_yaml_option_has_a_schema_and_a_builder(group):
    options = {p.stem for p in (REPO / "conf" / group).glob("*.yaml")}
    schemas = {name for (g, name) in SCHEMAS if g == group}
    assert options == schemas == set(REGISTRIES[group].names())


def test_classification_run_reports_accuracy_against_noisy_and_true_labels(tmp_path, mnist_root):
    summary = run(tmp_path, "dataset=mnist", f"dataset.root={mnist_root}", "loss=ce", "noise=flip",
                  "noise.ratio=0.3", "train.epochs=4")
    assert summary["status"] == "completed"
    assert summary["noise_fraction"] == pytest.approx(0.3, abs=0.02)
    assert summary["train_acc_true"] > summary["train_acc_noisy"]  # the model does not follow the flipped labels
    assert 0 <= summary["test_acc"] <= 1 and summary["test_ce"] > 0


@pytest.mark.parametrize("model", ["cnn", "resnet18"])
def test_image_models_train_on_images(tmp_path, mnist_root, model):
    summary = run(tmp_path, "dataset=mnist", f"dataset.root={mnist_root}", "loss=ce", f"model={model}",
                  "train.epochs=1", "dataset.train_size=40")
    assert summary["status"] == "completed"
    weights = torch.load(tmp_path / "run" / "model.pt")
    assert any("conv" in k or k.startswith("0.") for k in weights)


def test_pixel_noise_combined_with_label_noise(tmp_path, mnist_root):
    summary = run(tmp_path, "dataset=mnist", f"dataset.root={mnist_root}", "loss=ce", "noise=symmetric",
                  "noise@input_noise=pixel", "input_noise.ratio=0.5", "train.epochs=2")
    assert summary["status"] == "completed" and summary["noise_fraction"] > 0


@pytest.mark.parametrize("preset", sorted(p.stem for p in (REPO / "conf" / "experiment").glob("*.yaml")))
def test_every_experiment_preset_composes_and_validates(preset):
    settings = to_settings(make_cfg(f"+experiment={preset}"))
    assert settings.train.epochs > 0


def test_cifar_autoencoder_preset_holds_out_named_classes(tmp_path, cifar_root):
    summary = run(tmp_path, "+experiment=autoencoder_cifar", f"dataset.root={cifar_root}", "train.epochs=1",
                  "detector.epochs=2")
    assert summary["status"] == "completed"
    assert summary["detection_true"] == 24  # the 8 held-out classes of the 30 test images
    assert summary["train_size"] == 18  # cats and dogs: 20 of the 100 training images, 10 % to validation


def test_help_lists_every_selectable_option_and_the_composed_config(tmp_path):
    result = cli("loss=biv", "noise=gamma", "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    groups = dict(line.split(": ", 1) for line in result.stdout.splitlines()
                  if ": " in line and line.split(": ", 1)[0] in REGISTRIES)
    for group, registry in REGISTRIES.items():  # every registered option, nothing else
        assert sorted(groups[group].split(", ")) == sorted(p.stem for p in (REPO / "conf" / group).glob("*.yaml"))
        assert set(groups[group].split(", ")) == set(registry.names())
    assert "schema/" not in result.stdout and "$" not in result.stdout
    assert "name: biv" in result.stdout and "params: meanvar" in result.stdout  # overrides applied
    assert list(tmp_path.iterdir()) == []  # help runs nothing and writes nothing
    bad = cli("loss=bix", "--help")
    assert bad.returncode == 2 and "loss/bix" in bad.stderr and "Traceback" not in bad.stderr
