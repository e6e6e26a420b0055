"""MSE vs IV vs BIV under a two-distribution mixture of label variances (Mai et al. 2021).

    python scripts/bench_biv.py [--seeds 0 1 2] [--wine ../shared/datasets/wine-quality]

Prints the clean-label test MSE (normalised units) of each loss on ``synthetic`` and on Wine
Quality, mean ± std over seeds.  Noise: gamma variances, half the samples from mean 0.05 and
half from mean 2.0 (the default ``noise=gamma``); BIV epsilon 0.5.
"""

from __future__ import annotations

import argparse

from _common import SHARED, mean_std, run

LOSSES = ("mse", "iv", "biv")
DATASETS = {
    "synthetic": ["dataset=synthetic", "train.epochs=20"],
    "wine": ["dataset=wine", "dataset.color=both", "train.epochs=40"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--wine", default=str(SHARED / "wine-quality"))
    args = parser.parse_args()
    print(f"test MSE on clean labels (normalised units), mean ± std over seeds {args.seeds}")
    print(f"{'dataset':<10} " + " ".join(f"{loss:>18}" for loss in LOSSES))
    for name, overrides in DATASETS.items():
        extra = [f"dataset.root={args.wine}"] if name == "wine" else []
        cells = []
        for loss in LOSSES:
            results = [run(*overrides, *extra, "noise=gamma", f"loss={loss}", f"seed={seed}")["test_mse"]
                       for seed in args.seeds]
            cells.append(mean_std(results))
        print(f"{name:<10} " + " ".join(f"{cell:>18}" for cell in cells))


if __name__ == "__main__":
    main()
