"""Helpers every dataset shares: errors, fixed test splits, normalisation, validation split."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence

import torch
from torch import Tensor

from noisy_runner.config import ConfigError
from noisy_runner.data import DataBundle, Split, normalise_labels, random_split

TEST_SPLIT_SEED = 0  # test sets are the same for every run seed, so seeds compare like with like


class DataMissingError(ConfigError):
    """The dataset's files are not where the config says; the message says what to put there."""

    def __init__(self, key: str, value: Any, expected: str) -> None:
        super().__init__(key, value, f"{expected} Nothing is downloaded at run time: copy the files "
                                     f"there or point {key} at them.")


def require_path(path: Path, key: str, expected: str) -> Path:
    if not path.exists():
        raise DataMissingError(key, str(path), f"Expected {expected} at {path.resolve()}.")
    return path


def cap(split: Split, size: Optional[int], seed: int) -> Split:
    """At most ``size`` rows, drawn at random (seeded) so a cap keeps the class balance."""
    if size is None or size >= len(split):
        return split
    g = torch.Generator().manual_seed(seed)
    return split.subset(torch.randperm(len(split), generator=g)[:size].sort().values)


def hold_out_test(split: Split, fraction: float) -> tuple[Split, Split]:
    """(train, test) with the test rows fixed across run seeds."""
    return random_split(split, fraction, torch.Generator().manual_seed(TEST_SPLIT_SEED))


def standardise_inputs(train: Split, *others: Split, per_channel: bool = False) -> None:
    """Z-score inputs with the training split's statistics (per feature, or per image channel)."""
    dims = (0, 2, 3) if per_channel else (0,)
    mean = train.x.mean(dim=dims, keepdim=True)
    std = train.x.std(dim=dims, keepdim=True).clamp_min(1e-8)
    for split in (train, *others):
        split.x = (split.x - mean) / std


def regression_bundle(x_train: Tensor, y_train: Tensor, x_test: Tensor, y_test: Tensor, cfg: Any,
                      *, standardise: bool = True) -> DataBundle:
    """A regression bundle: float32 tensors, standardised inputs, optionally z-scored labels."""
    if y_train.ndim == 1:
        y_train, y_test = y_train[:, None], y_test[:, None]
    train = Split.from_tensors(x_train.float(), y_train.float())
    test = Split.from_tensors(x_test.float(), y_test.float())
    if standardise:
        standardise_inputs(train, test, per_channel=train.x.ndim == 4)
    mean = std = None
    if getattr(cfg, "normalize_labels", False):
        mean, std = normalise_labels(train, test)
    return DataBundle(train=train, test=test, task="regression", input_shape=tuple(train.x.shape[1:]),
                      num_outputs=int(train.y.shape[1]), label_mean=mean, label_std=std)


def classification_bundle(x_train: Tensor, y_train: Tensor, x_test: Tensor, y_test: Tensor, cfg: Any,
                          class_names: Sequence[str]) -> DataBundle:
    """Images as float (N, C, H, W) in [0, 1] (uint8 pixels scaled as ``ToTensor`` does), z-scored per
    channel when ``cfg.standardize``; labels relabelled to the kept classes."""
    names = list(class_names)
    if cfg.classes is not None:
        wanted = [c if isinstance(c, int) else names.index(str(c)) for c in cfg.classes]
        lookup = torch.full((len(names),), -1, dtype=torch.long)
        lookup[torch.tensor(wanted)] = torch.arange(len(wanted))
        keep_train, keep_test = lookup[y_train] >= 0, lookup[y_test] >= 0
        x_train, y_train = x_train[keep_train], lookup[y_train[keep_train]]
        x_test, y_test = x_test[keep_test], lookup[y_test[keep_test]]
        names = [names[i] for i in wanted]
    scale = 255.0 if x_train.dtype == torch.uint8 else 1.0
    train = Split.from_tensors(x_train.float() / scale, y_train.long())
    test = Split.from_tensors(x_test.float() / scale, y_test.long())
    if cfg.standardize:
        standardise_inputs(train, test, per_channel=True)
    return DataBundle(train=train, test=test, task="classification", input_shape=tuple(train.x.shape[1:]),
                      num_outputs=len(names), class_names=tuple(names))


def hold_out_classes(bundle: DataBundle, ood_classes: Sequence[Any]) -> DataBundle:
    """Remove ``ood_classes`` from training and keep their test inputs as ``bundle.ood``.

    The remaining classes are relabelled 0..k-1 so the classifier never sees the held-out ones.
    """
    names = list(bundle.class_names)
    ood = [c if isinstance(c, int) else names.index(str(c)) for c in ood_classes]
    for c in ood:
        if not 0 <= c < len(names):
            raise ConfigError("detector.ood_classes", list(ood_classes),
                              f"Classes must be indices 0..{len(names) - 1} or names {', '.join(names)}.")
    keep = [c for c in range(len(names)) if c not in ood]
    if len(keep) < 2:
        raise ConfigError("detector.ood_classes", list(ood_classes), "Leave at least two in-distribution classes.")
    lookup = torch.full((len(names),), -1, dtype=torch.long)
    lookup[torch.tensor(keep)] = torch.arange(len(keep))

    def only_kept(split: Split) -> Split:
        part = split.subset(lookup[split.y_true.cpu()].to(split.y.device) >= 0)
        return part.with_(y=lookup.to(part.y.device)[part.y], y_true=lookup.to(part.y.device)[part.y_true])

    is_ood = lookup.to(bundle.test.y.device)[bundle.test.y_true] < 0
    ood_split = bundle.test.subset(is_ood)
    return DataBundle(train=only_kept(bundle.train), test=only_kept(bundle.test), task=bundle.task,
                      input_shape=bundle.input_shape, num_outputs=len(keep),
                      class_names=tuple(names[c] for c in keep), ood=ood_split)


def prepare(bundle: DataBundle, cfg: Any, seed: int, device: torch.device) -> DataBundle:
    """Cap the training set, split off validation (seeded), and move every split to ``device``."""
    train = cap(bundle.train, cfg.train_size, seed)
    test = cap(bundle.test, cfg.test_size, TEST_SPLIT_SEED)
    train, val = random_split(train, cfg.val_fraction, torch.Generator().manual_seed(seed))
    bundle.train, bundle.val, bundle.test = train, val, test
    return bundle.to(device)
