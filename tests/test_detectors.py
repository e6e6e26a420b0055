"""Detectors on tiny data where the answer is known, scored against the recorded truth."""

from __future__ import annotations

import csv
from types import SimpleNamespace

import pytest
import torch

from conftest import run
from noisy_runner.config import AumDetectorConfig
from noisy_runner.detectors import Detection, score_detection
from noisy_runner.detectors.history import forgetting_scores, misclassified_share, threshold_sample_passes
from noisy_runner.detectors.rules import flag, robust_outliers

DETECTION_KEYS = {"detection_precision", "detection_recall", "detection_f1", "detection_auroc", "detection_ap",
                  "detection_flagged"}


def test_never_learned_sample_is_most_forgotten_and_flagged():
    correct = torch.tensor([  # epochs x samples
        [0, 1, 1, 0],
        [1, 0, 1, 0],
        [1, 1, 1, 0],
        [0, 1, 1, 0],
    ], dtype=torch.bool)
    events = forgetting_scores(correct)
    assert events.floor().tolist() == [1.0, 1.0, 0.0, 5.0]  # sample 3 never learned: epochs + 1
    share = misclassified_share(correct)
    assert share.tolist() == [0.5, 0.25, 0.0, 1.0]
    cfg = SimpleNamespace(threshold="fixed", value=0.6, fraction=0.0, k=3.0)
    assert flag(share, cfg).tolist() == [False, False, False, True]


def test_rules_quantile_mad_fixed():
    scores = torch.cat([torch.zeros(95), torch.full((5,), 10.0)]) + torch.linspace(0, 0.1, 100)
    top = flag(scores, SimpleNamespace(threshold="quantile", fraction=0.05, k=3.0, value=None))
    assert top.sum() == 5 and top[-5:].all()
    assert flag(scores, SimpleNamespace(threshold="mad", fraction=0, k=3.0, value=None))[-5:].all()
    residual = torch.randn(1000, 2, generator=torch.Generator().manual_seed(0))
    residual[:10, 1] += 20
    outliers = robust_outliers(residual, 5.0)
    assert outliers[:10, 1].all() and outliers.sum() == 10


def test_scoring_against_truth():
    detection = Detection(scores=torch.tensor([0.9, 0.8, 0.1, 0.7]), flags=torch.tensor([True, True, False, False]),
                          truth=torch.tensor([True, False, False, True]), item_index=torch.arange(4))
    scores = score_detection(detection)
    assert scores["detection_precision"] == 0.5 and scores["detection_recall"] == 0.5
    assert scores["detection_f1"] == 0.5 and scores["detection_flagged"] == 2
    assert scores["detection_auroc"] == pytest.approx(0.75)


def test_residual_finds_planted_offsets_and_retrain_beats_baseline(tmp_path):
    summary = run(tmp_path, "noise=offset", "noise.ratio=0.05", "detector=residual", "detector.retrain=true",
                  "dataset.train_size=1500", "model.hidden_sizes=[128,128]", "train.epochs=40", "train.lr=0.003")
    assert DETECTION_KEYS <= set(summary)
    assert summary["detection_recall"] >= 0.9 and summary["detection_precision"] >= 0.6
    assert summary["detection_auroc"] > 0.98
    # the retrained model (damaged entries masked) is closer to the true values of those labels
    assert summary["retrain_train_corrupted_true_mse"] < summary["train_corrupted_true_mse"]
    rows = list(csv.DictReader(open(tmp_path / "run" / "detection.csv")))
    assert len(rows) == 1350 * 3 and set(rows[0]) == {"index", "score", "flagged", "truth"}


def test_masked_mse_on_recorded_mask_recovers_true_values(tmp_path):
    common = ["noise=offset", "dataset.train_size=1000", "train.epochs=30", "train.lr=0.003"]
    plain = run(tmp_path, *common, "loss=mse", name="mse")
    masked = run(tmp_path, *common, "loss=masked_mse", name="masked")
    assert masked["train_corrupted_true_mse"] < 0.5 * plain["train_corrupted_true_mse"]


@pytest.mark.parametrize("detector", ["forgetting", "small_loss", "aum", "confident"])
def test_classification_detectors_find_flipped_labels(tmp_path, mnist_root, detector):
    summary = run(tmp_path, "dataset=mnist", f"dataset.root={mnist_root}", "loss=ce", "noise=flip", "noise.ratio=0.2",
                  f"detector={detector}", "detector.retrain=true", "train.epochs=8", "detector.folds=2"
                  if detector == "confident" else "train.lr=0.001")
    assert summary["status"] == "completed" and DETECTION_KEYS <= set(summary)
    assert summary["detection_true"] == summary["noise_count"]
    assert summary["detection_auroc"] > 0.8
    assert "retrain_test_acc" in summary


def test_aum_threshold_samples_are_disjoint_and_one_class_share_each():
    first, second = threshold_sample_passes(1100, 10, seed=0)
    assert len(first) == len(second) == 100  # n / (K + 1)
    assert not set(first.tolist()) & set(second.tolist())
    again, _ = threshold_sample_passes(1100, 10, seed=0)
    assert torch.equal(first, again)
    # the paper's rule trains its own models: the main run need not record a history for it
    assert not AumDetectorConfig().needs_history and AumDetectorConfig(threshold="fixed").needs_history


def test_aum_with_threshold_samples_finds_flipped_labels_without_a_noise_rate(tmp_path, mnist_root):
    common = ["dataset=mnist", f"dataset.root={mnist_root}", "loss=ce", "noise=flip", "noise.ratio=0.2",
              "detector=aum", "train.epochs=8"]
    own = run(tmp_path, *common, name="own")
    # both extra trainings ran (a threshold each) and the flags come from their fake-class percentile
    assert {"aum_threshold_pass1", "aum_threshold_pass2"} <= set(own)
    assert own["detection_recall"] >= 0.8 and own["detection_auroc"] > 0.8
    fixed = run(tmp_path, *common, "detector.threshold=fixed", name="fixed")
    assert "aum_threshold_pass1" not in fixed and fixed["detection_auroc"] > 0.8  # the main run's history only


def test_confident_with_a_generic_rule_flags_the_top_fraction_of_its_score(tmp_path, mnist_root):
    summary = run(tmp_path, "dataset=mnist", f"dataset.root={mnist_root}", "loss=ce", "noise=flip", "noise.ratio=0.2",
                  "detector=confident", "detector.folds=2", "detector.threshold=quantile", "detector.fraction=0.1",
                  "train.epochs=8")
    n = summary["train_size"]
    assert abs(summary["detection_flagged"] - round(0.1 * n)) <= 1  # the rule, not cleanlab's own count
    assert summary["detection_precision"] > 0.8  # the most suspect tenth is mostly flipped labels


def test_autoencoder_screens_held_out_digits(tmp_path, mnist_root):
    summary = run(tmp_path, "dataset=mnist", f"dataset.root={mnist_root}", "loss=ce", "detector=autoencoder",
                  "detector.ood_classes=[5,6,7,8,9]", "detector.epochs=30", "train.epochs=2")
    assert summary["detection_auroc"] > 0.8
    assert summary["detection_true"] == 25  # the OOD half of the 50 test images
    assert summary["screen_refused_ood"] >= summary["screen_refused_in"]
