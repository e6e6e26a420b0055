"""Detection scored against the truth the runner recorded when it injected the noise."""

from __future__ import annotations

import math

from noisy_runner.detectors.base import Detection


def score_detection(detection: Detection) -> dict[str, float]:
    """Threshold-free AUROC / average precision of the scores, and precision / recall / F1 of the flags."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    truth = detection.truth.cpu().numpy().astype(bool)
    flags = detection.flags.cpu().numpy().astype(bool)
    scores = detection.scores.float().cpu().numpy()
    true_pos = float((flags & truth).sum())
    precision = true_pos / flags.sum() if flags.sum() else float("nan")
    recall = true_pos / truth.sum() if truth.sum() else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    both_classes = 0 < truth.sum() < len(truth)
    return {
        "detection_precision": precision,
        "detection_recall": recall,
        "detection_f1": f1 if not (math.isnan(precision) or math.isnan(recall)) else float("nan"),
        "detection_auroc": float(roc_auc_score(truth, scores)) if both_classes else float("nan"),
        "detection_ap": float(average_precision_score(truth, scores)) if both_classes else float("nan"),
        "detection_flagged": int(flags.sum()),
        "detection_true": int(truth.sum()),
    }
