"""Validation before any data is loaded or any model is built.

Types and unknown keys are caught by the schemas when Hydra composes; this module converts the
composed config to typed objects, runs every group's range checks, then the rules that span
groups (a loss that needs variances needs a noise that records them, and so on).
"""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from noisy_runner.config import GROUP_KEYS, ConfigError, RootConfig

NOISE_WITH = {"variance": "gamma or uniform", "mask": "offset (regression) or symmetric/flip/pairflip (classes)"}


def to_settings(cfg: DictConfig) -> RootConfig:
    """The typed config, every group checked; raises ``ConfigError`` on the first problem."""
    try:
        settings: RootConfig = OmegaConf.to_object(cfg)
    except OmegaConfBaseException as error:
        key = getattr(error, "full_key", None) or "config"
        raise ConfigError(key, getattr(error, "value", None), str(getattr(error, "msg", error)).split("\n")[0]) from None
    except TypeError as error:  # an unknown key appended with +key=value
        raise ConfigError("config", None, f"Unknown key: {error}.") from None
    settings.train.validate("train")
    for key in GROUP_KEYS:
        getattr(settings, key).validate(key)
    check_resume(settings.resume)
    check_cross_group(settings)
    return settings


def check_resume(resume: Any) -> None:
    if not isinstance(resume, (bool, str)):
        raise ConfigError("resume", resume, "Allowed: false, true (continue this run or the latest matching "
                                            "unfinished one) or the path of a run directory.")


def check_cross_group(s: RootConfig) -> None:
    task = s.dataset.task
    if s.loss.task != task:
        raise ConfigError("loss", s.loss.name, f"loss={s.loss.name} is for {s.loss.task}, but dataset={s.dataset.name} "
                          f"is a {task} dataset; use {'ce' if task == 'classification' else 'mse, iv, biv, cauchy'}.")
    for key in ("noise", "input_noise"):
        noise = getattr(s, key)
        if noise.task not in ("any", task):
            raise ConfigError(key, noise.name, f"{key}={noise.name} is a {noise.task} noise, but "
                              f"dataset={s.dataset.name} is a {task} dataset.")
    provided = s.noise.provides | s.input_noise.provides
    for extra in sorted(s.loss.requires - provided):
        raise ConfigError("loss", s.loss.name, f"loss={s.loss.name} needs a per-sample {extra}, which "
                          f"noise={s.noise.name} does not record; use noise={NOISE_WITH[extra]}.")
    if s.input_noise.name != "none" and s.input_noise.kind != "input":
        raise ConfigError("input_noise", s.input_noise.name, "The input_noise slot takes an input noise: pixel "
                          "(select it with noise@input_noise=pixel).")
    if s.dataset.input_kind not in s.model.input_kinds:
        raise ConfigError("model", s.model.name, f"model={s.model.name} needs image inputs, but "
                          f"dataset={s.dataset.name} has vector inputs; use model=mlp.")
    detector = s.detector
    if detector.task not in ("any", task):
        raise ConfigError("detector", detector.name, f"detector={detector.name} works on {detector.task} data, but "
                          f"dataset={s.dataset.name} is a {task} dataset.")
    if detector.name == "autoencoder":
        check_ood_classes(s)


def check_ood_classes(s: RootConfig) -> None:
    """The autoencoder screen needs a classification dataset and named out-of-distribution classes."""
    classes = list(s.detector.ood_classes)
    if s.dataset.task != "classification" or not classes:
        raise ConfigError("detector.ood_classes", classes, "The autoencoder screen needs a classification dataset "
                          "and at least one held-out class, e.g. detector.ood_classes=[5,6,7,8,9].")
    names = s.dataset.class_names
    if names:
        unknown = [c for c in classes if not (c in names or (isinstance(c, int) and 0 <= c < len(names)))]
        if unknown:
            raise ConfigError("detector.ood_classes", classes, f"Unknown classes {unknown}; allowed: indices "
                              f"0..{len(names) - 1} or names {', '.join(names)}.")
