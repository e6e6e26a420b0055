"""Throughput: the runner's training path vs the way researchers usually write it.

    python scripts/bench.py --root ../shared/datasets/mnist-10k --epochs 3
    python scripts/bench.py --resnet --steps 20          # ResNet-18 on 32x32: runner vs a bare loop

(a) reference: torchvision ``MNIST`` with per-sample ``ToTensor`` and a per-sample
    pixel-randomising transform, a ``DataLoader`` (batch 64, shuffled), MLP 784-128-128-10,
    SGD(lr 0.01, momentum 0.9);
(b) the runner through its own code path (``run_job``) with the same model, batch, optimiser,
    epochs and noise.
Prints samples/s of each, their ratio and the clean test accuracy of each, for clean data and
30 % pixel noise.  A benchmark, not a test: numbers vary with the machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hydra import compose, initialize_config_dir  # noqa: E402

from noisy_runner.run import config_dir, run_job  # noqa: E402


class PixelRandomize:
    """Per-sample transform: replace ``ratio`` of the pixels with draws from the pixel histogram."""

    def __init__(self, ratio: float, histogram: torch.Tensor) -> None:
        self.ratio, self.probs = ratio, histogram / histogram.sum()

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        if self.ratio == 0:
            return image
        mask = torch.rand(image.shape) < self.ratio
        values = torch.multinomial(self.probs, int(mask.sum()), replacement=True).float() / 255.0
        image = image.clone()
        image[mask] = values
        return image


def mlp() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(),
                         nn.Linear(128, 10))


def reference(root: str, ratio: float, epochs: int, seed: int) -> tuple[float, float]:
    """samples/s and clean test accuracy of the usual per-sample pipeline."""
    from torchvision import datasets, transforms

    torch.manual_seed(seed)
    raw = datasets.MNIST(root, train=True, download=False)
    histogram = torch.bincount(raw.data.flatten().long(), minlength=256).float()
    train = datasets.MNIST(root, train=True, download=False,
                           transform=transforms.Compose([transforms.ToTensor(), PixelRandomize(ratio, histogram)]))
    test = datasets.MNIST(root, train=False, download=False, transform=transforms.ToTensor())
    loader = torch.utils.data.DataLoader(train, batch_size=64, shuffle=True)
    model = mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    start = time.perf_counter()
    for _ in range(epochs):
        for x, y in loader:
            loss = nn.functional.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    seconds = time.perf_counter() - start
    model.eval()
    correct = 0
    with torch.inference_mode():
        for x, y in torch.utils.data.DataLoader(test, batch_size=1000):
            correct += int((model(x).argmax(1) == y).sum())
    return len(train) * epochs / seconds, correct / len(test)


def bare_loop(root: str, epochs: int, seed: int) -> float:
    """samples/s of the leanest hand-written loop: tensors in memory, index batches, nothing else."""
    from torchvision import datasets

    torch.manual_seed(seed)
    raw = datasets.MNIST(root, train=True, download=False)
    x, y = raw.data[:, None].float() / 255.0, raw.targets
    model = mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(x))
        for first in range(0, len(x), 64):
            rows = order[first:first + 64]
            loss = nn.functional.cross_entropy(model(x[rows]), y[rows])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    return len(x) * epochs / (time.perf_counter() - start)


def runner(root: str, ratio: float, epochs: int, seed: int, extra: list[str]) -> tuple[float, float, float]:
    """samples/s (training steps only, from metrics.csv), clean test accuracy, mean epoch seconds."""
    overrides = ["dataset=mnist", f"dataset.root={root}", "dataset.val_fraction=0", "dataset.standardize=false",
                 "model=mlp",
                 "model.hidden_sizes=[128,128]", "loss=ce", "train.optimizer=sgd", "train.lr=0.01",
                 "train.momentum=0.9", "train.batch_size=64", f"train.epochs={epochs}", "train.progress=false",
                 "train.checkpoint_every=0", f"seed={seed}", "device=cpu", *extra]
    if ratio > 0:
        overrides += ["noise=pixel", f"noise.ratio={ratio}"]
    with initialize_config_dir(config_dir=config_dir(), version_base="1.3"):
        cfg = compose(config_name="config", overrides=overrides)
    with tempfile.TemporaryDirectory() as tmp:
        summary = run_job(cfg, Path(tmp) / "run")
        metrics = pd.read_csv(Path(tmp) / "run" / "metrics.csv")
    seconds = metrics["seconds"].sum()
    return summary["train_size"] * epochs / seconds, summary["test_acc"], metrics["seconds"].mean()


def bench_mnist(args: argparse.Namespace) -> None:
    print(f"MNIST MLP 784-128-128-10, batch 64, SGD(0.01, 0.9), {args.epochs} epochs, torch threads "
          f"{torch.get_num_threads()}")
    print(f"{'pixel noise':>11} | {'reference/s':>11} {'acc':>6} | {'runner/s':>10} {'acc':>6} | {'speed-up':>8}")
    epoch_time = {}
    for ratio in (0.0, 0.3):
        ref_rate, ref_acc = reference(args.root, ratio, args.epochs, args.seed)
        run_rate, run_acc, epoch_seconds = runner(args.root, ratio, args.epochs, args.seed, args.override)
        epoch_time[ratio] = epoch_seconds
        print(f"{ratio:>11.0%} | {ref_rate:>11,.0f} {ref_acc:>6.3f} | {run_rate:>10,.0f} {run_acc:>6.3f} | "
              f"{run_rate / ref_rate:>7.1f}x")
    print(f"pixel noise step-time overhead in the runner: {epoch_time[0.3] / epoch_time[0.0] - 1:+.1%} "
          f"(separate runs); {pixel_overhead(args.root, args.epochs):+.1%} (median of alternated epochs)")
    print(f"ceiling: a bare hand-written loop without noise, metrics or history: "
          f"{bare_loop(args.root, args.epochs, args.seed):,.0f} samples/s")


def pixel_overhead(root: str, epochs: int) -> float:
    """Median step-time ratio (pixel noise 30 % / clean) of the runner's trainer, epochs alternated
    in one process so that machine noise hits both alike."""
    import statistics

    from noisy_runner.config import CeConfig, DeviceConfig, MlpConfig, MnistConfig, PixelNoiseConfig, TrainConfig
    from noisy_runner.datasets import DATASETS
    from noisy_runner.device import resolve_runtime
    from noisy_runner.losses import LOSSES
    from noisy_runner.models import MODELS
    from noisy_runner.noise import NOISES
    from noisy_runner.train import Trainer

    runtime = resolve_runtime(DeviceConfig(name="cpu"))
    train = DATASETS.build(MnistConfig(root=root), 0).train
    pixel = NOISES.build(PixelNoiseConfig(ratio=0.3), 10).input_transform(train)
    schedule = TrainConfig(epochs=2 * epochs + 2, optimizer="sgd", lr=0.01, progress=False)

    def trainer(transforms) -> Trainer:
        torch.manual_seed(0)
        model = MODELS.build(MlpConfig(hidden_sizes=[128, 128]), (1, 28, 28), 10)
        return Trainer(model=model, loss_fn=LOSSES.build(CeConfig(), train), train=train, cfg=schedule,
                       runtime=runtime, task="classification", seed=0, transforms=transforms)

    clean, noisy = trainer([]), trainer([pixel])
    clean.run_epoch(), noisy.run_epoch()  # warm-up
    ratios = [noisy.run_epoch()["seconds"] / clean.run_epoch()["seconds"] for _ in range(max(3, epochs))]
    return statistics.median(ratios) - 1


def bench_resnet(args: argparse.Namespace) -> None:
    """ResNet-18 on 32x32 inputs: the runner's step vs a bare hand-written loop, same precision/format."""
    from noisy_runner.config import CeConfig, DeviceConfig, ResNet18Config, TrainConfig
    from noisy_runner.data import Split
    from noisy_runner.device import resolve_runtime
    from noisy_runner.losses import LOSSES
    from noisy_runner.models import MODELS
    from noisy_runner.train import Trainer

    runtime = resolve_runtime(DeviceConfig(name=args.device, precision=args.precision))
    n = args.steps * args.batch
    x = torch.randn(n, 3, 32, 32, device=runtime.device)
    y = torch.randint(0, 10, (n,), device=runtime.device)

    def model() -> nn.Module:
        torch.manual_seed(0)
        return runtime.prepare_model(MODELS.build(ResNet18Config(), (3, 32, 32), 10), True)

    # bare loop
    net = model()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    inputs = runtime.prepare_inputs(x)

    def bare_epoch() -> None:
        for first in range(0, n, args.batch):
            with runtime.autocast():
                loss = nn.functional.cross_entropy(net(inputs[first:first + args.batch]), y[first:first + args.batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    bare_epoch()  # warm-up
    if runtime.device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    bare_epoch()
    if runtime.device.type == "cuda":
        torch.cuda.synchronize()
    bare_rate = n / (time.perf_counter() - start)

    split = Split.from_tensors(x, y)
    trainer = Trainer(model=model(), loss_fn=LOSSES.build(CeConfig(), split), train=split,
                      cfg=TrainConfig(epochs=2, batch_size=args.batch, optimizer="sgd", lr=0.01, progress=False),
                      runtime=runtime, task="classification", seed=0)
    trainer.run_epoch()  # warm-up
    runner_rate = n / trainer.run_epoch()["seconds"]
    print(f"ResNet-18 32x32 on {runtime.device.type} ({runtime.precision}, channels_last={runtime.channels_last}), "
          f"batch {args.batch}, {args.steps} steps: bare loop {bare_rate:,.0f} samples/s, runner "
          f"{runner_rate:,.0f} samples/s ({runner_rate / bare_rate:.1%} of bare)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default="../shared/datasets/mnist-10k")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--override", nargs="*", default=[], help="extra runner overrides, e.g. device.threads=1")
    parser.add_argument("--resnet", action="store_true", help="also time ResNet-18 on 32x32 inputs")
    parser.add_argument("--resnet-only", action="store_true")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--precision", default="auto")
    args = parser.parse_args()
    if not args.resnet_only:
        bench_mnist(args)
    if args.resnet or args.resnet_only:
        bench_resnet(args)


if __name__ == "__main__":
    main()
