"""MNIST and CIFAR-10 from local files in torchvision's layout (``download=false`` by default)."""

from __future__ import annotations

from pathlib import Path

import torch

from noisy_runner.config import Cifar10Config, MnistConfig
from noisy_runner.data import DataBundle
from noisy_runner.datasets import DATASETS
from noisy_runner.datasets.common import DataMissingError, classification_bundle

MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
               "t10k-labels-idx1-ubyte")
CIFAR_FILES = ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch",
               "batches.meta")


def missing(root: str | None, files: tuple[str, ...], folder: str, how: str) -> DataMissingError:
    where = Path(root or ".") / folder
    return DataMissingError("dataset.root", root, f"Expected {', '.join(files)} in {where.resolve()} ({how}).")


@DATASETS.register("mnist")
def build_mnist(cfg: MnistConfig, seed: int) -> DataBundle:
    from torchvision.datasets import MNIST

    try:
        train = MNIST(cfg.root or ".", train=True, download=cfg.download)
        test = MNIST(cfg.root or ".", train=False, download=cfg.download)
    except RuntimeError:
        raise missing(cfg.root, MNIST_FILES, "MNIST/raw",
                      "the uncompressed IDX files from the MNIST site, or run once with dataset.download=true "
                      "on a machine with internet") from None
    return classification_bundle(train.data[:, None], train.targets, test.data[:, None], test.targets, cfg,
                                 [str(i) for i in range(10)])


def local_cifar10():
    """torchvision's CIFAR10 reading the python pickle batches; files must exist, checksums optional.

    torchvision compares every batch with the official MD5; checking only that the files exist
    lets the same loader read a user's re-packed or sub-sampled batches (and test fixtures).
    """
    from torchvision.datasets import CIFAR10

    class LocalCIFAR10(CIFAR10):
        train_list = [[name, None] for name, _ in CIFAR10.train_list]
        test_list = [[name, None] for name, _ in CIFAR10.test_list]
        meta = {**CIFAR10.meta, "md5": None}

    return LocalCIFAR10


@DATASETS.register("cifar10")
def build_cifar10(cfg: Cifar10Config, seed: int) -> DataBundle:
    dataset = local_cifar10()
    try:
        train = dataset(cfg.root or ".", train=True, download=cfg.download)
        test = dataset(cfg.root or ".", train=False, download=cfg.download)
    except RuntimeError:
        raise missing(cfg.root, CIFAR_FILES, "cifar-10-batches-py",
                      "unpack cifar-10-python.tar.gz from the CIFAR site there") from None
    to_nchw = lambda array: torch.from_numpy(array).permute(0, 3, 1, 2)  # noqa: E731
    return classification_bundle(to_nchw(train.data), torch.tensor(train.targets), to_nchw(test.data),
                                 torch.tensor(test.targets), cfg, train.classes)
