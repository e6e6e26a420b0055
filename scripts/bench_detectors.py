"""Finding flipped MNIST labels: forgetting events, confident learning and AUM, plus the autoencoder screen.

    python scripts/bench_detectors.py [--root ../shared/datasets/mnist-10k] [--ratios 0.01 0.2]

MLP 784-128-128-10 on mnist-10k, ``noise=flip``; prints precision / recall / F1 / AUROC and the
wall time of each run (training plus detection).  The autoencoder line: digits 0-4 in
distribution, 5-9 out, AUROC of the reconstruction error.
"""

from __future__ import annotations

import argparse

from _common import SHARED, run

DETECTORS = {"forgetting": ["detector=forgetting"], "confident": ["detector=confident", "detector.folds=3"],
             "aum": ["detector=aum"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=str(SHARED / "mnist-10k"))
    parser.add_argument("--ratios", type=float, nargs="+", default=[0.01, 0.2])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--detectors", nargs="+", default=list(DETECTORS), choices=list(DETECTORS))
    parser.add_argument("--no-autoencoder", action="store_true")
    args = parser.parse_args()
    common = ["dataset=mnist", f"dataset.root={args.root}", "model.hidden_sizes=[128,128]", "loss=ce",
              f"train.epochs={args.epochs}", "train.weight_decay=0.0005"]
    print(f"{'noise':>6} {'detector':<11} {'flagged':>7} {'true':>5} {'prec':>6} {'recall':>6} {'F1':>6} "
          f"{'AUROC':>6} {'seconds':>8}")
    for ratio in args.ratios:
        for name in args.detectors:
            s = run(*common, "noise=flip", f"noise.ratio={ratio}", *DETECTORS[name])
            print(f"{ratio:>6.0%} {name:<11} {s['detection_flagged']:>7} {s['detection_true']:>5} "
                  f"{s['detection_precision']:>6.3f} {s['detection_recall']:>6.3f} {s['detection_f1']:>6.3f} "
                  f"{s['detection_auroc']:>6.3f} {s['wall']:>8.1f}")
    if args.no_autoencoder:
        return
    ae = run(*common, "detector=autoencoder", "detector.ood_classes=[5,6,7,8,9]", "train.epochs=5")
    print(f"autoencoder screen, digits 0-4 in / 5-9 out: AUROC {ae['detection_auroc']:.3f}, AP "
          f"{ae['detection_ap']:.3f}; refused at the 95 % validation quantile: {ae['screen_refused_in']} in-dist, "
          f"{ae['screen_refused_ood']} OOD of {ae['detection_true']}; accepted test accuracy "
          f"{ae['screen_accepted_test_acc']:.3f} ({ae['wall']:.1f} s)")


if __name__ == "__main__":
    main()
