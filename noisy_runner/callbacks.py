"""Hydra callbacks: a sweep summary that reports failed jobs as failed.

Launchers see a job as completed when its task function returned, and the runner returns
normally from a failed, diverged or interrupted job so the rest of a sweep goes on.  The
truth is in each job's ``summary.json``; this callback collects it when the sweep ends.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from noisy_runner.outputs import SUMMARY, read_json


def job_statuses(sweep_dir: Path) -> list[dict[str, Any]]:
    """One entry per job directory (those with Hydra's ``.hydra`` folder): its status and error."""
    rows = []
    for job_dir in sorted((p for p in sweep_dir.iterdir() if (p / ".hydra").is_dir()),
                          key=lambda p: (len(p.name), p.name)):
        summary = read_json(job_dir / SUMMARY) or {}
        rows.append({"job": job_dir.name, "status": summary.get("status", "missing"),
                     "error": summary.get("error", "" if summary else "no summary.json: the job never ran or died")})
    return rows


class SweepSummary(Callback):
    """Writes ``sweep_summary.csv`` in the sweep directory and lists the jobs that did not complete."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        if not sweep_dir.is_dir():
            return
        rows = job_statuses(sweep_dir)
        with open(sweep_dir / "sweep_summary.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=["job", "status", "error"])
            writer.writeheader()
            writer.writerows(rows)
        bad = [r for r in rows if r["status"] != "completed"]
        print(f"[noisy_runner] sweep {sweep_dir}: {len(rows) - len(bad)} of {len(rows)} jobs completed", file=sys.stderr)
        for row in bad:
            print(f"[noisy_runner]   job {row['job']}: {row['status']} {row['error']}", file=sys.stderr)
        from noisy_runner import run

        run.SWEEP_FAILURES.extend(r["job"] for r in bad)
