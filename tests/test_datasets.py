"""Loaders read small generated files in each dataset's real format; missing files are clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from noisy_runner.config import (Cifar10Config, ConfigError, CsvConfig, ImageFolderConfig, MnistConfig,
                                 SyntheticConfig, UTKFaceConfig, WineConfig)
from noisy_runner.datasets import DATASETS, DataMissingError, prepare
from noisy_runner.datasets.synthetic import synthetic_target

WINE_HEADER = '"fixed acidity";"volatile acidity";"alcohol";"quality"'


def write_wine(root: Path, color: str, rows: int, separator: str = ";") -> None:
    rng = np.random.default_rng(len(color))
    lines = [WINE_HEADER.replace(";", separator)]
    for _ in range(rows):
        a, b, c = rng.normal(size=3)
        lines.append(separator.join(f"{v:.4f}" for v in (a, b, c)) + f"{separator}{int(5 + 2 * a) }")
    root.mkdir(parents=True, exist_ok=True)
    (root / f"winequality-{color}.csv").write_text("\n".join(lines) + "\n")


def test_synthetic_target_and_label_normalisation():
    t = torch.tensor([[1.0, 2.0], [-1.0, 0.5]])
    assert torch.allclose(synthetic_target(t), torch.tensor([[5.0, 1.0, 4.0], [0.0, 1.0, -0.25]]))
    bundle = DATASETS.build(SyntheticConfig(train_size=500, test_size=100), 0)
    assert bundle.train.x.shape == (500, 2) and bundle.num_outputs == 3
    assert torch.allclose(bundle.train.y.mean(0), torch.zeros(3), atol=1e-5)
    original = bundle.train.y * bundle.label_std + bundle.label_mean
    assert torch.allclose(original, synthetic_target(bundle.train.x), atol=1e-4)


@pytest.mark.parametrize("separator", [";", ","])
def test_wine_reads_either_separator_and_both_colors(tmp_path, separator):
    write_wine(tmp_path, "red", 50, separator)
    write_wine(tmp_path, "white", 30, separator)
    red = DATASETS.build(WineConfig(root=str(tmp_path), color="red", test_fraction=0.2), 0)
    assert len(red.train) == 40 and len(red.test) == 10 and red.input_shape == (3,)
    both = DATASETS.build(WineConfig(root=str(tmp_path), color="both", test_fraction=0.2), 0)
    assert len(both.train) + len(both.test) == 80 and both.input_shape == (4,)  # + is_red
    assert torch.allclose(both.train.x.mean(0), torch.zeros(4), atol=1e-5)  # z-scored inputs


def test_wine_missing_files_say_where_to_put_them(tmp_path):
    with pytest.raises(DataMissingError) as error:
        DATASETS.build(WineConfig(root=str(tmp_path / "nowhere")), 0)
    assert "winequality-red.csv" in str(error.value) and "dataset.root" in str(error.value)


def test_csv_named_columns_and_unknown_column_error(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,b,c,y\n" + "\n".join(f"{i},{i * 2},{i % 3},{i * 0.5}" for i in range(40)))
    bundle = DATASETS.build(CsvConfig(path=str(path), input_columns=["a", "c"], target_columns=["y"]), 0)
    assert bundle.input_shape == (2,) and bundle.num_outputs == 1 and len(bundle.train) == 32
    with pytest.raises(ConfigError, match="dataset.target_columns"):
        DATASETS.build(CsvConfig(path=str(path), target_columns=["price"]), 0)


def test_utkface_reads_ages_from_file_names(tmp_path):
    ages = [1, 25, 40, 63, 80, 33, 18, 50, 71, 9]
    for i, age in enumerate(ages):
        Image.fromarray(np.full((40, 30, 3), i * 20, dtype=np.uint8)).save(tmp_path / f"{age}_0_1_2017011617452{i}.jpg")
    (tmp_path / "notes.jpg.txt").write_text("ignored")
    bundle = DATASETS.build(UTKFaceConfig(root=str(tmp_path), image_size=16, normalize_labels=False,
                                          test_fraction=0.2), 0)
    assert bundle.input_shape == (3, 16, 16)
    labels = sorted(torch.cat([bundle.train.y, bundle.test.y]).flatten().tolist())
    assert labels == sorted(float(a) for a in ages)


def test_mnist_idx_files_with_class_subset(mnist_root):
    bundle = DATASETS.build(MnistConfig(root=str(mnist_root), classes=[3, 7]), 0)
    assert bundle.input_shape == (1, 28, 28) and bundle.num_outputs == 2
    assert set(bundle.train.y.tolist()) == {0, 1} and len(bundle.train) == 40


def test_mnist_pixels_scaled_like_to_tensor_and_standardized_only_when_asked(mnist_root):
    from torchvision.datasets import MNIST

    raw = MNIST(str(mnist_root), train=True).data[:, None].float() / 255.0
    plain = DATASETS.build(MnistConfig(root=str(mnist_root), standardize=False), 0)
    torch.testing.assert_close(plain.train.x, raw)  # exactly what ToTensor gives, same order
    z = DATASETS.build(MnistConfig(root=str(mnist_root)), 0).train.x
    assert abs(float(z.mean())) < 1e-5 and abs(float(z.std()) - 1) < 1e-3
    torch.testing.assert_close(z, (raw - raw.mean()) / raw.std())


def test_mnist_missing_root_names_the_expected_files(tmp_path):
    with pytest.raises(DataMissingError) as error:
        DATASETS.build(MnistConfig(root=str(tmp_path)), 0)
    assert "train-images-idx3-ubyte" in str(error.value) and "MNIST/raw" in str(error.value)


def test_cifar10_pickle_batches_with_named_classes(cifar_root):
    bundle = DATASETS.build(Cifar10Config(root=str(cifar_root), classes=["cat", "dog"]), 0)
    assert bundle.class_names == ("cat", "dog") and bundle.input_shape == (3, 32, 32)
    assert len(bundle.train) == 20 and len(bundle.test) == 6


def test_cifar10_missing_root_is_clear(tmp_path):
    with pytest.raises(DataMissingError, match="cifar-10-batches-py"):
        DATASETS.build(Cifar10Config(root=str(tmp_path)), 0)


def test_image_folder_one_folder_per_class(tmp_path):
    for name, value in (("cats", 10), ("dogs", 200)):
        (tmp_path / name).mkdir()
        for i in range(5):
            Image.fromarray(np.full((12, 12), value + i, dtype=np.uint8)).save(tmp_path / name / f"{i}.png")
    bundle = DATASETS.build(ImageFolderConfig(root=str(tmp_path), image_size=8, grayscale=True, test_fraction=0.2), 0)
    assert bundle.class_names == ("cats", "dogs") and bundle.input_shape == (1, 8, 8)
    assert len(bundle.train) == 8 and len(bundle.test) == 2


def test_prepare_splits_validation_and_caps_training(mnist_root):
    cfg = MnistConfig(root=str(mnist_root), train_size=100, val_fraction=0.2)
    bundle = prepare(DATASETS.build(cfg, 0), cfg, 0, torch.device("cpu"))
    assert len(bundle.train) == 80 and len(bundle.val) == 20
    assert not set(bundle.train.index.tolist()) & set(bundle.val.index.tolist())
