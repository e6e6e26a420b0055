"""Bad command lines: one clear message naming the key and what is allowed, exit status 2,
no traceback, and no output left behind."""

from __future__ import annotations

import pytest

from conftest import cli

BAD = [
    # (overrides, words the message must contain)
    (["loss=bivv"], ["loss/bivv", "biv"]),
    (["train.epochz=3"], ["epochz"]),
    (["train.epochs=abc"], ["train.epochs", "abc"]),
    (["train.epochs=0"], ["train.epochs", "positive"]),
    (["train.optimizer=adamw"], ["train.optimizer", "adam, sgd"]),
    (["train.lr=-1"], ["train.lr", "positive"]),
    (["noise=gamma", "noise.ratio=1.5"], ["noise.ratio", "[0, 1]"]),
    (["noise=uniform", "noise.params=alphabeta"], ["noise.params", "boundaries, meanvar"]),
    (["noise=uniform", "noise.values=[[1.0,1.0]]"], ["noise.values", "sqrt(3*variance)"]),
    (["noise=gamma", "noise.values=[[1,2,3]]"], ["noise.values", "pairs"]),
    (["loss=biv"], ["loss", "variance", "gamma or uniform"]),
    (["loss=ce"], ["loss=ce", "classification"]),
    (["noise=flip"], ["noise=flip", "classification"]),
    (["loss=biv", "noise=gamma", "loss.epsilon=-0.1"], ["loss.epsilon", ">= 0"]),
    (["model=cnn"], ["model=cnn", "image"]),
    (["model.activation=swish"], ["model.activation", "relu"]),
    (["model.dropout=1.2"], ["model.dropout", "[0, 1)"]),
    (["dataset.val_fraction=1"], ["dataset.val_fraction", "[0, 1)"]),
    (["dataset=wine", "dataset.color=rose"], ["dataset.color", "red, white, both"]),
    (["dataset=wine", "dataset.root=/nonexistent/wine"], ["dataset.root", "winequality-red.csv"]),
    (["dataset=mnist", "dataset.root=/nonexistent", "loss=ce"], ["dataset.root", "train-images-idx3-ubyte"]),
    (["dataset=mnist", "loss=ce", "dataset.classes=[3,11]"], ["dataset.classes", "0..9"]),
    (["dataset=cifar10", "loss=ce", "dataset.classes=[cat,wolf]"], ["dataset.classes", "wolf"]),
    (["detector=forgetting"], ["detector=forgetting", "classification"]),
    (["dataset=mnist", "loss=ce", "detector=autoencoder"], ["detector.ood_classes"]),
    (["detector=residual", "detector.threshold=top"], ["detector.threshold", "quantile, mad, fixed"]),
    (["dataset=mnist", "loss=ce", "detector=forgetting", "detector.threshold=own"],
     ["detector.threshold", "'own'", "quantile, mad, fixed"]),
    (["dataset=mnist", "loss=ce", "detector=autoencoder", "detector.ood_classes=[5]", "detector.threshold=mad"],
     ["detector.threshold", "Allowed: own"]),
    (["dataset=mnist", "loss=ce", "detector=aum", "detector.percentile=0"], ["detector.percentile", "(0, 100]"]),
    (["device=tpu"], ["device/tpu", "cuda"]),
    (["device.precision=fp8"], ["device.precision", "bf16"]),
    (["logger=wandb", "logger.mode=sometimes"], ["logger.mode", "offline"]),
    (["resume=3"], ["resume", "false"]),
]


@pytest.mark.parametrize("overrides,words", BAD, ids=[" ".join(o) for o, _ in BAD])
def test_bad_command_line_gives_clear_error_and_status_2(tmp_path, overrides, words):
    result = cli(*overrides, "train.progress=false", cwd=tmp_path, timeout=120)
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, (word, result.stderr)
    assert not (tmp_path / "outputs").exists() or not any((tmp_path / "outputs").rglob("*.*"))


def test_full_error_switch_shows_the_traceback(tmp_path):
    result = cli("train.lr=-1", cwd=tmp_path, env={"HYDRA_FULL_ERROR": "1"})
    assert result.returncode == 2 and "Traceback" in result.stderr
