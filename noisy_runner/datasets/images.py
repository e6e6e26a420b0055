"""Image folders decoded once into tensors: UTKFace (age regression) and torchvision ImageFolder."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor

from noisy_runner.config import ConfigError, ImageFolderConfig, UTKFaceConfig
from noisy_runner.data import DataBundle, Split
from noisy_runner.datasets import DATASETS
from noisy_runner.datasets.common import classification_bundle, hold_out_test, regression_bundle, require_path

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


def decode_images(paths: list[Path], size: int, grayscale: bool) -> Tensor:
    """Decode with Pillow, resize to ``size`` x ``size`` and stack as uint8 (N, C, H, W), once per run."""
    import numpy as np
    from PIL import Image

    mode = "L" if grayscale else "RGB"

    def load(path: Path) -> np.ndarray:
        with Image.open(path) as image:
            return np.asarray(image.convert(mode).resize((size, size), Image.Resampling.BILINEAR))

    pixels = torch.from_numpy(np.stack([load(p) for p in paths]))
    return pixels[:, None] if grayscale else pixels.permute(0, 3, 1, 2)


def utkface_age(path: Path) -> int | None:
    """The age in a UTKFace file name ``<age>_<gender>_<race>_<date>.jpg``, or None."""
    head = path.name.split("_", 1)[0]
    return int(head) if head.isdigit() else None


@DATASETS.register("utkface")
def build_utkface(cfg: UTKFaceConfig, seed: int) -> DataBundle:
    root = require_path(Path(cfg.root or "."), "dataset.root", "a folder of UTKFace images")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and utkface_age(p) is not None)
    if not files:
        raise ConfigError("dataset.root", str(root), "No UTKFace images found: expected files named "
                          "<age>_<gender>_<race>_<date>.jpg (e.g. 25_0_1_20170116174525125.jpg.chip.jpg).")
    x = decode_images(files, cfg.image_size, cfg.grayscale).float() / 255.0
    y = torch.tensor([float(utkface_age(p)) for p in files])
    train, test = hold_out_test(Split.from_tensors(x, y[:, None]), cfg.test_fraction)
    return regression_bundle(train.x, train.y, test.x, test.y, cfg)


@DATASETS.register("image_folder")
def build_image_folder(cfg: ImageFolderConfig, seed: int) -> DataBundle:
    """torchvision's ``ImageFolder`` layout (one folder per class); a test split is held out."""
    from torchvision.datasets import ImageFolder

    root = require_path(Path(cfg.root or "."), "dataset.root", "one sub-folder of images per class")
    try:
        folder = ImageFolder(str(root))
    except (FileNotFoundError, RuntimeError) as error:
        raise ConfigError("dataset.root", str(root), f"Not an image folder: {error}") from None
    x = decode_images([Path(p) for p, _ in folder.samples], cfg.image_size, cfg.grayscale).float() / 255.0
    y = torch.tensor(folder.targets)
    train, test = hold_out_test(Split.from_tensors(x, y), cfg.test_fraction)
    return classification_bundle(train.x, train.y, test.x, test.y, cfg, folder.classes)
