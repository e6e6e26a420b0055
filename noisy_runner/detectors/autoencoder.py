"""Anomaly screen: reconstruction error of an autoencoder trained on in-distribution inputs.

The classes in ``detector.ood_classes`` are removed from training by the runner (see
``datasets.hold_out_classes``); their test inputs are the out-of-distribution set the score is
evaluated on, next to the held-out in-distribution test inputs.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from noisy_runner.config import AutoencoderDetectorConfig, MseConfig, TrainConfig
from noisy_runner.data import Split
from noisy_runner.detectors.base import DETECTORS, Detection, DetectionContext
from noisy_runner.losses import LOSSES, squared_error
from noisy_runner.train import Trainer, predict


class ConvAutoencoder(nn.Module):
    """Two stride-2 convolutions down to a latent vector and two transposed convolutions back."""

    def __init__(self, channels: int, size: int, latent: int) -> None:
        super().__init__()
        self.size, reduced = size, math.ceil(math.ceil(size / 2) / 2)
        self.encoder = nn.Sequential(
            nn.Conv2d(channels, 32, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(), nn.Linear(64 * reduced * reduced, latent))
        self.decoder = nn.Sequential(
            nn.Linear(latent, 64 * reduced * reduced), nn.ReLU(), nn.Unflatten(1, (64, reduced, reduced)),
            nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(32, channels, 4, stride=2, padding=1))

    def forward(self, x: Tensor) -> Tensor:
        out = self.decoder(self.encoder(x))
        if out.shape[-1] != self.size:
            out = F.interpolate(out, size=x.shape[-2:], mode="bilinear", align_corners=False)
        return out


def build_autoencoder(input_shape: tuple[int, ...], latent: int) -> nn.Module:
    """Convolutional for images, a small MLP for flat inputs."""
    if len(input_shape) == 3:
        return ConvAutoencoder(input_shape[0], input_shape[1], latent)
    width = math.prod(input_shape)
    hidden = max(2 * latent, 64)
    return nn.Sequential(nn.Flatten(), nn.Linear(width, hidden), nn.ReLU(), nn.Linear(hidden, latent), nn.ReLU(),
                         nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, width),
                         nn.Unflatten(1, input_shape))


def reconstruction_error(model: nn.Module, x: Tensor, ctx: DetectionContext) -> Tensor:
    return squared_error(predict(model, x, ctx.runtime, ctx.settings.train.eval_batch_size), x)


def fit_autoencoder(cfg: AutoencoderDetectorConfig, ctx: DetectionContext) -> nn.Module:
    train = ctx.bundle.train
    inputs = Split.from_tensors(train.x, train.x)
    model = ctx.runtime.prepare_model(build_autoencoder(ctx.bundle.input_shape, cfg.latent), ctx.bundle.is_image)
    schedule = TrainConfig(epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, progress=False)
    trainer = Trainer(model=model, loss_fn=LOSSES.build(MseConfig(), inputs), train=inputs, cfg=schedule,
                      runtime=ctx.runtime, task="regression", seed=ctx.settings.seed + 7)
    trainer.fit()
    return model


@DETECTORS.register("autoencoder")
def detect_autoencoder(cfg: AutoencoderDetectorConfig, ctx: DetectionContext) -> Detection:
    """Threshold = the ``quantile`` of validation reconstruction errors; test inputs above it are refused."""
    bundle = ctx.bundle
    model = fit_autoencoder(cfg, ctx)
    reference = bundle.val if bundle.val is not None and len(bundle.val) else bundle.train
    threshold = float(torch.quantile(reconstruction_error(model, reference.x, ctx).cpu(), cfg.quantile))
    in_scores = reconstruction_error(model, bundle.test.x, ctx)
    ood_scores = reconstruction_error(model, bundle.ood.x, ctx)
    scores = torch.cat([in_scores, ood_scores])
    truth = torch.cat([torch.zeros_like(in_scores, dtype=torch.bool), torch.ones_like(ood_scores, dtype=torch.bool)])
    flags = scores > threshold
    accepted = ~flags[: len(in_scores)]
    logits = predict(ctx.model, bundle.test.x, ctx.runtime, ctx.settings.train.eval_batch_size)
    right = logits.argmax(dim=1) == bundle.test.y_true
    metrics = {
        "screen_threshold": threshold,
        "screen_refused_in": int((~accepted).sum()),
        "screen_refused_ood": int(flags[len(in_scores):].sum()),
        "screen_accepted_test_acc": float(right[accepted].float().mean()) if accepted.any() else float("nan"),
    }
    return Detection(scores=scores, flags=flags, truth=truth,
                     item_index=torch.cat([bundle.test.index, bundle.ood.index]), metrics=metrics)
