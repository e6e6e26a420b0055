"""MLP, a small vanilla CNN and torchvision's ResNet-18, each with a regression or class head."""

from __future__ import annotations

import math

from torch import nn

from noisy_runner.config import CnnConfig, MlpConfig, ResNet18Config
from noisy_runner.models import MODELS

ACTIVATION_LAYERS = {"relu": nn.ReLU, "gelu": nn.GELU, "tanh": nn.Tanh, "elu": nn.ELU,
                     "leaky_relu": nn.LeakyReLU, "silu": nn.SiLU}


def dense_block(n_in: int, n_out: int, activation: str, batch_norm: bool, dropout: float) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Linear(n_in, n_out)]
    if batch_norm:
        layers.append(nn.BatchNorm1d(n_out))
    layers.append(ACTIVATION_LAYERS[activation]())
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    return layers


@MODELS.register("mlp")
def build_mlp(cfg: MlpConfig, input_shape: tuple[int, ...], num_outputs: int) -> nn.Module:
    """Fully connected layers over the flattened input."""
    sizes = [math.prod(input_shape), *cfg.hidden_sizes]
    layers: list[nn.Module] = [nn.Flatten()]
    for n_in, n_out in zip(sizes, sizes[1:]):
        layers += dense_block(n_in, n_out, cfg.activation, cfg.batch_norm, cfg.dropout)
    layers.append(nn.Linear(sizes[-1], num_outputs))
    return nn.Sequential(*layers)


@MODELS.register("cnn")
def build_cnn(cfg: CnnConfig, input_shape: tuple[int, ...], num_outputs: int) -> nn.Module:
    """conv3x3-(BN)-act-maxpool per entry of ``channels``, then one hidden dense layer."""
    channels, height, width = input_shape
    layers: list[nn.Module] = []
    for out in cfg.channels:
        layers.append(nn.Conv2d(channels, out, 3, padding=1))
        if cfg.batch_norm:
            layers.append(nn.BatchNorm2d(out))
        layers += [ACTIVATION_LAYERS[cfg.activation](), nn.MaxPool2d(2)]
        channels, height, width = out, max(height // 2, 1), max(width // 2, 1)
    layers.append(nn.Flatten())
    layers += dense_block(channels * height * width, cfg.hidden, cfg.activation, False, cfg.dropout)
    layers.append(nn.Linear(cfg.hidden, num_outputs))
    return nn.Sequential(*layers)


@MODELS.register("resnet18")
def build_resnet18(cfg: ResNet18Config, input_shape: tuple[int, ...], num_outputs: int) -> nn.Module:
    """torchvision ResNet-18 (He et al. 2016), trained from scratch.

    For small inputs (``stem=small``, or ``auto`` below 64 px) the 7x7/2 convolution and the
    max-pool are replaced by a 3x3/1 convolution, the usual CIFAR adaptation.
    """
    from torchvision.models import resnet18

    channels, height, _ = input_shape
    model = resnet18(weights=None, num_classes=num_outputs)
    small = cfg.stem == "small" or (cfg.stem == "auto" and height < 64)
    if small:
        model.conv1 = nn.Conv2d(channels, 64, kernel_size=3, stride=1, padding=1, bias=False)
        model.maxpool = nn.Identity()
    elif channels != 3:
        model.conv1 = nn.Conv2d(channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
    if cfg.dropout > 0:
        model.fc = nn.Sequential(nn.Dropout(cfg.dropout), model.fc)
    return model
