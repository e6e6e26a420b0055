"""Label noise vs input noise on MNIST: clean test accuracy and cross-entropy per noise level.

    python scripts/bench_label_vs_pixel.py [--root ../shared/datasets/mnist-10k] [--epochs 10]

Label randomisation: X % of training labels re-drawn uniformly once (``noise=symmetric``).
Pixel randomisation: X % of each training image's pixels re-drawn at every step from the
training pixel histogram (``noise=pixel``).  MLP 784-128-128-10, SGD(0.01, 0.9), batch 64.
"""

from __future__ import annotations

import argparse

from _common import SHARED, run

LEVELS = (0.0, 0.3, 0.6, 0.9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=str(SHARED / "mnist-10k"))
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    common = ["dataset=mnist", f"dataset.root={args.root}", "model.hidden_sizes=[128,128]", "loss=ce",
              "train.optimizer=sgd", "train.lr=0.01", "train.momentum=0.9", "train.batch_size=64",
              f"train.epochs={args.epochs}", f"seed={args.seed}"]
    print(f"{'level':>6} | {'label acc':>9} {'label CE':>9} | {'pixel acc':>9} {'pixel CE':>9}")
    for level in LEVELS:
        label = run(*common, "noise=symmetric", f"noise.ratio={level}")
        pixel = run(*common, "noise=pixel", f"noise.ratio={level}")
        print(f"{level:>6.0%} | {label['test_acc']:>9.4f} {label['test_ce']:>9.4f} | "
              f"{pixel['test_acc']:>9.4f} {pixel['test_ce']:>9.4f}")


if __name__ == "__main__":
    main()
