"""Typed schemas for every config group, registered in Hydra's ConfigStore.

Why one light module: Hydra must know every schema before it composes a config, and
``python -m noisy_runner --help`` composes one.  Keeping the schemas free of torch keeps
start-up fast; the builders that need torch live in the concern packages and are looked up
by the same registry key (``name``), and ``tests/test_registry.py`` checks that every schema
has a builder and a YAML file, so a name, its schema and its builder cannot drift apart.

Each schema carries ``validate(key)``, the range checks that a type alone cannot express,
and class-level facts (``ClassVar``) that the cross-group rules in ``validate.py`` read:
which task a dataset serves, which per-sample extras a loss requires, which a noise provides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar, Optional

from omegaconf import MISSING

SCHEMAS: dict[tuple[str, str], type] = {}


class ConfigError(ValueError):
    """A bad config value: one short message naming the key, the value and what is allowed."""

    def __init__(self, key: str, value: Any, allowed: str) -> None:
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"invalid config: {key}={value!r}. {allowed}")


def require(condition: bool, key: str, value: Any, allowed: str) -> None:
    """Raise ``ConfigError`` unless ``condition`` holds."""
    if not condition:
        raise ConfigError(key, value, allowed)


def check_choice(key: str, value: Any, choices: tuple[str, ...]) -> None:
    require(value in choices, key, value, f"Allowed: {', '.join(choices)}.")


def check_fraction(key: str, value: float, *, open_right: bool = False) -> None:
    ok = value is not None and 0.0 <= value <= 1.0 and not (open_right and value >= 1.0)
    require(ok, key, value, "Must be a number in [0, 1)." if open_right else "Must be a number in [0, 1].")


def check_positive(key: str, value: Optional[float], *, allow_none: bool = False, strict: bool = True) -> None:
    if value is None and allow_none:
        return
    ok = value is not None and (value > 0 if strict else value >= 0) and math.isfinite(value)
    require(ok, key, value, "Must be a positive number." if strict else "Must be a number >= 0.")


def schema(group: str, name: str):
    """Record ``cls`` as the schema of option ``name`` in config group ``group``."""

    def wrap(cls: type) -> type:
        SCHEMAS[(group, name)] = cls
        return cls

    return wrap


class Validated:
    """Mixin: ``validate(key)`` is called on every group node before anything runs."""

    def validate(self, key: str) -> None:  # pragma: no cover - overridden where needed
        return None


# --------------------------------------------------------------------------- datasets
@dataclass
class DatasetConfig(Validated):
    """Fields every dataset shares.  ``root`` is read as-is: nothing is ever downloaded."""

    name: str = MISSING
    root: Optional[str] = None
    val_fraction: float = 0.1
    train_size: Optional[int] = None
    test_size: Optional[int] = None
    task: ClassVar[str] = "regression"
    input_kind: ClassVar[str] = "vector"
    class_names: ClassVar[tuple[str, ...]] = ()

    def validate(self, key: str) -> None:
        check_fraction(f"{key}.val_fraction", self.val_fraction, open_right=True)
        check_positive(f"{key}.train_size", self.train_size, allow_none=True)
        check_positive(f"{key}.test_size", self.test_size, allow_none=True)


@dataclass
class RegressionFileConfig(DatasetConfig):
    test_fraction: float = 0.2
    normalize_labels: bool = True

    def validate(self, key: str) -> None:
        super().validate(key)
        check_fraction(f"{key}.test_fraction", self.test_fraction, open_right=True)
        require(self.test_fraction > 0, f"{key}.test_fraction", self.test_fraction, "Must be in (0, 1).")


@schema("dataset", "synthetic")
@dataclass
class SyntheticConfig(DatasetConfig):
    """t ~ N(0, I_2), f(t) = (t1 + 2 t2, t1^2, t1 t2^2): the BIV paper's toy target."""

    name: str = "synthetic"
    train_size: Optional[int] = 2000
    test_size: Optional[int] = 1000
    normalize_labels: bool = True


@schema("dataset", "wine")
@dataclass
class WineConfig(RegressionFileConfig):
    name: str = "wine"
    root: Optional[str] = "data/wine-quality"
    color: str = "red"

    def validate(self, key: str) -> None:
        super().validate(key)
        check_choice(f"{key}.color", self.color, ("red", "white", "both"))


@schema("dataset", "utkface")
@dataclass
class UTKFaceConfig(RegressionFileConfig):
    name: str = "utkface"
    root: Optional[str] = "data/UTKFace"
    image_size: int = 32
    grayscale: bool = False
    input_kind: ClassVar[str] = "image"

    def validate(self, key: str) -> None:
        super().validate(key)
        check_positive(f"{key}.image_size", self.image_size)


@schema("dataset", "csv")
@dataclass
class CsvConfig(RegressionFileConfig):
    name: str = "csv"
    path: str = MISSING
    input_columns: list[str] = field(default_factory=list)
    target_columns: list[str] = field(default_factory=list)

    def validate(self, key: str) -> None:
        super().validate(key)
        require(len(self.target_columns) > 0, f"{key}.target_columns", list(self.target_columns),
                "Name at least one target column, e.g. dataset.target_columns=[price].")


@dataclass
class ClassificationConfig(DatasetConfig):
    """``classes`` keeps a subset (names or indices), relabelled 0..k-1 in the given order.

    Pixels are scaled to [0, 1] (as ``ToTensor`` does); ``standardize`` then z-scores each channel
    with the training split's statistics, which trains faster; false keeps the [0, 1] scale.
    """

    root: Optional[str] = "data"
    classes: Optional[list[Any]] = None
    download: bool = False
    standardize: bool = True
    task: ClassVar[str] = "classification"
    input_kind: ClassVar[str] = "image"

    def validate(self, key: str) -> None:
        super().validate(key)
        if self.classes is not None and self.class_names:
            for c in self.classes:
                ok = c in self.class_names or (isinstance(c, int) and 0 <= c < len(self.class_names))
                require(ok, f"{key}.classes", list(self.classes),
                        f"Unknown class {c!r}; allowed: indices 0..{len(self.class_names) - 1} "
                        f"or names {', '.join(self.class_names)}.")
            require(len(set(self.classes)) == len(self.classes) and len(self.classes) >= 2,
                    f"{key}.classes", list(self.classes), "Give at least two distinct classes.")


@schema("dataset", "mnist")
@dataclass
class MnistConfig(ClassificationConfig):
    name: str = "mnist"
    class_names: ClassVar[tuple[str, ...]] = tuple(str(i) for i in range(10))


@schema("dataset", "cifar10")
@dataclass
class Cifar10Config(ClassificationConfig):
    name: str = "cifar10"
    class_names: ClassVar[tuple[str, ...]] = (
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


@schema("dataset", "image_folder")
@dataclass
class ImageFolderConfig(ClassificationConfig):
    name: str = "image_folder"
    root: Optional[str] = "data/images"
    image_size: int = 32
    grayscale: bool = False
    test_fraction: float = 0.2

    def validate(self, key: str) -> None:
        super().validate(key)
        check_positive(f"{key}.image_size", self.image_size)
        check_fraction(f"{key}.test_fraction", self.test_fraction, open_right=True)


# --------------------------------------------------------------------------- models
ACTIVATIONS = ("relu", "gelu", "tanh", "elu", "leaky_relu", "silu")


@dataclass
class ModelConfig(Validated):
    name: str = MISSING
    dropout: float = 0.0
    batch_norm: bool = False
    input_kinds: ClassVar[tuple[str, ...]] = ("vector", "image")

    def validate(self, key: str) -> None:
        check_fraction(f"{key}.dropout", self.dropout, open_right=True)


@schema("model", "mlp")
@dataclass
class MlpConfig(ModelConfig):
    name: str = "mlp"
    hidden_sizes: list[int] = field(default_factory=lambda: [64, 64])
    activation: str = "relu"

    def validate(self, key: str) -> None:
        super().validate(key)
        check_choice(f"{key}.activation", self.activation, ACTIVATIONS)
        require(all(h > 0 for h in self.hidden_sizes), f"{key}.hidden_sizes", list(self.hidden_sizes),
                "Every layer size must be a positive integer.")


@schema("model", "cnn")
@dataclass
class CnnConfig(ModelConfig):
    """Two or more conv-ReLU-pool blocks and a hidden linear layer: the vanilla CNN."""

    name: str = "cnn"
    channels: list[int] = field(default_factory=lambda: [32, 64])
    hidden: int = 128
    activation: str = "relu"
    input_kinds: ClassVar[tuple[str, ...]] = ("image",)

    def validate(self, key: str) -> None:
        super().validate(key)
        check_choice(f"{key}.activation", self.activation, ACTIVATIONS)
        require(len(self.channels) > 0 and all(c > 0 for c in self.channels), f"{key}.channels",
                list(self.channels), "Give a non-empty list of positive channel counts.")


@schema("model", "resnet18")
@dataclass
class ResNet18Config(ModelConfig):
    """torchvision's ResNet-18; ``stem=small`` swaps the 7x7/2 conv and max-pool for a 3x3/1 conv."""

    name: str = "resnet18"
    stem: str = "auto"
    input_kinds: ClassVar[tuple[str, ...]] = ("image",)

    def validate(self, key: str) -> None:
        super().validate(key)
        check_choice(f"{key}.stem", self.stem, ("auto", "small", "imagenet"))


# --------------------------------------------------------------------------- losses
@dataclass
class LossConfig(Validated):
    name: str = MISSING
    task: ClassVar[str] = "regression"
    requires: ClassVar[frozenset[str]] = frozenset()


@schema("loss", "mse")
@dataclass
class MseConfig(LossConfig):
    name: str = "mse"


@dataclass
class InverseVarianceConfig(LossConfig):
    epsilon: float = 0.5
    requires: ClassVar[frozenset[str]] = frozenset({"variance"})

    def validate(self, key: str) -> None:
        check_positive(f"{key}.epsilon", self.epsilon, strict=False)


@schema("loss", "iv")
@dataclass
class IvConfig(InverseVarianceConfig):
    name: str = "iv"


@schema("loss", "biv")
@dataclass
class BivConfig(InverseVarianceConfig):
    name: str = "biv"


@schema("loss", "cutoff")
@dataclass
class CutoffConfig(LossConfig):
    name: str = "cutoff"
    threshold: float = 1.0
    requires: ClassVar[frozenset[str]] = frozenset({"variance"})

    def validate(self, key: str) -> None:
        check_positive(f"{key}.threshold", self.threshold)


@schema("loss", "masked_mse")
@dataclass
class MaskedMseConfig(LossConfig):
    name: str = "masked_mse"
    requires: ClassVar[frozenset[str]] = frozenset({"mask"})


@schema("loss", "cauchy")
@dataclass
class CauchyConfig(LossConfig):
    name: str = "cauchy"
    scale: float = 1.0

    def validate(self, key: str) -> None:
        check_positive(f"{key}.scale", self.scale)


@schema("loss", "ce")
@dataclass
class CeConfig(LossConfig):
    name: str = "ce"
    task: ClassVar[str] = "classification"


@schema("loss", "masked_ce")
@dataclass
class MaskedCeConfig(LossConfig):
    name: str = "masked_ce"
    task: ClassVar[str] = "classification"
    requires: ClassVar[frozenset[str]] = frozenset({"mask"})


# --------------------------------------------------------------------------- noise
@dataclass
class NoiseConfig(Validated):
    """``ratio`` is every noise's main knob in [0, 1], so one sweep syntax fits all noises."""

    name: str = MISSING
    ratio: float = 0.0
    task: ClassVar[str] = "any"
    kind: ClassVar[str] = "label"
    provides: ClassVar[frozenset[str]] = frozenset()

    def validate(self, key: str) -> None:
        check_fraction(f"{key}.ratio", self.ratio)


@schema("noise", "none")
@dataclass
class NoNoiseConfig(NoiseConfig):
    name: str = "none"


VARIANCE_PARAMS = ("boundaries", "alphabeta", "meanvar")


@dataclass
class HeteroscedasticConfig(NoiseConfig):
    """Per-sample variance from one distribution or a mixture of two (first with prob. ratio)."""

    ratio: float = 0.5
    params: str = "meanvar"
    values: list[Any] = field(default_factory=lambda: [[0.05, 0.001], [2.0, 1.0]])
    average_variance: Optional[float] = None
    scale: Optional[float] = None
    threshold: Optional[float] = None
    task: ClassVar[str] = "regression"
    provides: ClassVar[frozenset[str]] = frozenset({"variance"})
    allowed_params: ClassVar[tuple[str, ...]] = VARIANCE_PARAMS

    def validate(self, key: str) -> None:
        super().validate(key)
        check_choice(f"{key}.params", self.params, self.allowed_params)
        is_pair = lambda v: isinstance(v, (list, tuple)) and len(v) == 2 and all(  # noqa: E731
            isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)
        shape_ok = 1 <= len(self.values) <= 2 and all(is_pair(pair) for pair in self.values)
        require(shape_ok, f"{key}.values", self.values,
                "Give one or two pairs, one per distribution, e.g. [[0.1,0.01],[2,1]].")
        check_positive(f"{key}.average_variance", self.average_variance, allow_none=True)
        if self.scale is not None:
            check_fraction(f"{key}.scale", self.scale)
        check_positive(f"{key}.threshold", self.threshold, allow_none=True)


@schema("noise", "gamma")
@dataclass
class GammaNoiseConfig(HeteroscedasticConfig):
    name: str = "gamma"
    allowed_params: ClassVar[tuple[str, ...]] = ("alphabeta", "meanvar")


@schema("noise", "uniform")
@dataclass
class UniformNoiseConfig(HeteroscedasticConfig):
    name: str = "uniform"
    allowed_params: ClassVar[tuple[str, ...]] = ("boundaries", "meanvar")


@dataclass
class ClassNoiseConfig(NoiseConfig):
    ratio: float = 0.2
    task: ClassVar[str] = "classification"
    provides: ClassVar[frozenset[str]] = frozenset({"mask"})


@schema("noise", "symmetric")
@dataclass
class SymmetricNoiseConfig(ClassNoiseConfig):
    name: str = "symmetric"


@schema("noise", "flip")
@dataclass
class FlipNoiseConfig(ClassNoiseConfig):
    name: str = "flip"


@schema("noise", "pairflip")
@dataclass
class PairFlipNoiseConfig(ClassNoiseConfig):
    name: str = "pairflip"


@schema("noise", "pixel")
@dataclass
class PixelNoiseConfig(NoiseConfig):
    """Input noise: re-drawn at every training step, never applied to test inputs."""

    name: str = "pixel"
    ratio: float = 0.3
    kind: ClassVar[str] = "input"


@schema("noise", "offset")
@dataclass
class OffsetNoiseConfig(NoiseConfig):
    """The masked-label study's damage: integer offsets added to a fraction of label entries."""

    name: str = "offset"
    ratio: float = 0.05
    low: int = 1
    high: int = 5
    signed: bool = False
    task: ClassVar[str] = "regression"
    provides: ClassVar[frozenset[str]] = frozenset({"mask"})

    def validate(self, key: str) -> None:
        super().validate(key)
        require(0 <= self.low <= self.high, f"{key}.low/high", [self.low, self.high],
                "Need 0 <= low <= high (integer offset range).")


# --------------------------------------------------------------------------- detectors
@dataclass
class DetectorConfig(Validated):
    """``threshold`` turns scores into flags: top ``fraction`` (quantile), median + k*MAD, ``value``
    (fixed), or ``own``: the detector's own rule, for those that have one (``thresholds``)."""

    name: str = MISSING
    threshold: str = "mad"
    fraction: float = 0.05
    k: float = 3.0
    value: Optional[float] = None
    retrain: bool = False
    task: ClassVar[str] = "any"
    needs_history: ClassVar[bool] = False
    thresholds: ClassVar[tuple[str, ...]] = ("quantile", "mad", "fixed")

    def validate(self, key: str) -> None:
        check_choice(f"{key}.threshold", self.threshold, self.thresholds)
        check_fraction(f"{key}.fraction", self.fraction)
        check_positive(f"{key}.k", self.k, strict=False)
        if self.threshold == "fixed":
            require(self.value is not None, f"{key}.value", self.value, "threshold=fixed needs a number.")


@schema("detector", "none")
@dataclass
class NoDetectorConfig(DetectorConfig):
    name: str = "none"


@schema("detector", "residual")
@dataclass
class ResidualDetectorConfig(DetectorConfig):
    name: str = "residual"
    k: float = 6.0
    loss: str = "cauchy"
    scale: float = 1.0
    task: ClassVar[str] = "regression"

    def validate(self, key: str) -> None:
        super().validate(key)
        check_choice(f"{key}.loss", self.loss, ("cauchy", "mse", "run"))
        check_positive(f"{key}.scale", self.scale)


@schema("detector", "forgetting")
@dataclass
class ForgettingDetectorConfig(DetectorConfig):
    """``score=events``: Toneva's forgetting-event count; ``misclassified``: share of presentations
    misclassified.  Never-learned samples score highest under both."""

    name: str = "forgetting"
    score: str = "misclassified"
    threshold: str = "fixed"
    value: Optional[float] = 0.7
    task: ClassVar[str] = "classification"
    needs_history: ClassVar[bool] = True

    def validate(self, key: str) -> None:
        super().validate(key)
        check_choice(f"{key}.score", self.score, ("events", "misclassified"))


@schema("detector", "small_loss")
@dataclass
class SmallLossDetectorConfig(DetectorConfig):
    name: str = "small_loss"
    needs_history: ClassVar[bool] = True


@schema("detector", "aum")
@dataclass
class AumDetectorConfig(DetectorConfig):
    """Area under the margin.  ``threshold=own`` (default) is the paper's rule: two extra trainings,
    each with a disjoint 1/(K+1) of the samples moved to a fake class; a sample is flagged when its
    AUM is below the ``percentile`` of the fake-class samples' AUM.  Other rules score the main
    run's history (``threshold=fixed value=0``: flag a non-positive mean margin) at no extra cost."""

    name: str = "aum"
    threshold: str = "own"
    value: Optional[float] = 0.0
    percentile: float = 99.0
    task: ClassVar[str] = "classification"
    thresholds: ClassVar[tuple[str, ...]] = ("own", "quantile", "mad", "fixed")

    @property
    def needs_history(self) -> bool:
        """The threshold-sample rule records its own histories; only the others read the main run's."""
        return self.threshold != "own"

    def validate(self, key: str) -> None:
        super().validate(key)
        require(0 < self.percentile <= 100, f"{key}.percentile", self.percentile, "A percentile in (0, 100].")


@schema("detector", "confident")
@dataclass
class ConfidentDetectorConfig(DetectorConfig):
    """cleanlab's ``find_label_issues`` on K-fold out-of-sample probabilities."""

    name: str = "confident"
    threshold: str = "own"
    thresholds: ClassVar[tuple[str, ...]] = ("own", "quantile", "mad", "fixed")
    folds: int = 3
    epochs: Optional[int] = None
    filter_by: str = "prune_by_noise_rate"
    task: ClassVar[str] = "classification"

    def validate(self, key: str) -> None:
        super().validate(key)
        require(self.folds >= 2, f"{key}.folds", self.folds, "Need at least 2 folds.")
        check_positive(f"{key}.epochs", self.epochs, allow_none=True)
        check_choice(f"{key}.filter_by", self.filter_by,
                     ("prune_by_noise_rate", "prune_by_class", "both", "confident_learning",
                      "predicted_neq_given"))


@schema("detector", "autoencoder")
@dataclass
class AutoencoderDetectorConfig(DetectorConfig):
    """Reconstruction error of an autoencoder trained on in-distribution inputs only."""

    name: str = "autoencoder"
    threshold: str = "own"
    thresholds: ClassVar[tuple[str, ...]] = ("own",)  # the validation quantile: test scores stay unseen
    ood_classes: list[Any] = field(default_factory=list)
    quantile: float = 0.95
    latent: int = 32
    epochs: int = 10
    lr: float = 1e-3
    batch_size: int = 128

    def validate(self, key: str) -> None:
        super().validate(key)
        check_fraction(f"{key}.quantile", self.quantile)
        check_positive(f"{key}.latent", self.latent)
        check_positive(f"{key}.epochs", self.epochs)
        check_positive(f"{key}.lr", self.lr)
        check_positive(f"{key}.batch_size", self.batch_size)


# --------------------------------------------------------------------------- device
@dataclass
class DeviceConfig(Validated):
    """``auto`` picks CUDA when present; precision ``auto`` is bf16 on CUDA, fp32 on CPU."""

    name: str = "auto"
    precision: str = "auto"
    compile: bool = False
    channels_last: bool = True
    threads: Optional[int] = None

    def validate(self, key: str) -> None:
        check_choice(f"{key}.name", self.name, ("auto", "cpu", "cuda"))
        check_choice(f"{key}.precision", self.precision, ("auto", "fp32", "bf16", "fp16"))
        check_positive(f"{key}.threads", self.threads, allow_none=True)


for _device_name in ("auto", "cpu", "cuda"):
    schema("device", _device_name)(DeviceConfig)


# --------------------------------------------------------------------------- loggers
@schema("logger", "csv")
@dataclass
class CsvLoggerConfig(Validated):
    name: str = "csv"


@schema("logger", "wandb")
@dataclass
class WandbLoggerConfig(Validated):
    """wandb on top of the CSV files; every failure of wandb is reported, never fatal."""

    name: str = "wandb"
    project: str = "noisy_runner"
    entity: Optional[str] = None
    group: Optional[str] = None
    tags: list[str] = field(default_factory=list)
    mode: str = "online"

    def validate(self, key: str) -> None:
        check_choice(f"{key}.mode", self.mode, ("online", "offline", "disabled"))


# --------------------------------------------------------------------------- root
@dataclass
class TrainConfig(Validated):
    epochs: int = 20
    batch_size: int = 64
    lr: float = 1e-3
    optimizer: str = "adam"
    momentum: float = 0.9
    weight_decay: float = 0.0
    scheduler: str = "none"
    step_size: int = 10
    gamma: float = 0.1
    eval_batch_size: int = 4096
    checkpoint_every: int = 1
    progress: bool = True

    def validate(self, key: str) -> None:
        check_positive(f"{key}.epochs", self.epochs)
        check_positive(f"{key}.batch_size", self.batch_size)
        check_positive(f"{key}.lr", self.lr)
        check_choice(f"{key}.optimizer", self.optimizer, ("adam", "sgd"))
        check_fraction(f"{key}.momentum", self.momentum, open_right=True)
        check_positive(f"{key}.weight_decay", self.weight_decay, strict=False)
        check_choice(f"{key}.scheduler", self.scheduler, ("none", "cosine", "step"))
        check_positive(f"{key}.step_size", self.step_size)
        check_positive(f"{key}.gamma", self.gamma)
        check_positive(f"{key}.eval_batch_size", self.eval_batch_size)
        check_positive(f"{key}.checkpoint_every", self.checkpoint_every, strict=False)


@dataclass
class RootConfig:
    """The composed run config.  ``resume``: false, true (this or the latest matching run) or a run dir."""

    seed: int = 0
    resume: Any = False
    train: TrainConfig = field(default_factory=TrainConfig)
    dataset: Any = MISSING
    model: Any = MISSING
    loss: Any = MISSING
    noise: Any = MISSING
    input_noise: Any = MISSING
    detector: Any = MISSING
    device: Any = MISSING
    logger: Any = MISSING


GROUP_KEYS = ("dataset", "model", "loss", "noise", "input_noise", "detector", "device", "logger")


def register_configs() -> None:
    """Store every schema under ``schema/<group>/<name>`` and the root under ``schema_root``."""
    from hydra.core.config_store import ConfigStore

    store = ConfigStore.instance()
    store.store(name="schema_root", node=RootConfig)
    for (group, name), cls in SCHEMAS.items():
        store.store(group=f"schema/{group}", name=name, node=cls)
