"""Run-directory files, written so that nothing finished is ever lost or half-written.

Every file is written to a temporary name and renamed; ``metrics.csv`` is appended row by row
and flushed, so a killed run keeps every finished epoch.
"""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path
from typing import Any, Iterable, Optional

CHECKPOINT = "checkpoint.pt"
SUMMARY = "summary.json"
METRICS = "metrics.csv"
CONFIG = "config.yaml"


def atomic_write(path: Path, write) -> None:
    """Call ``write(tmp_path)``, then rename over ``path``: readers see the old file or the new one."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    write(tmp)
    os.replace(tmp, path)


def write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def json_safe(value: Any) -> Any:
    """NaN and infinities become null so ``summary.json`` stays valid JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(path: Path, data: dict[str, Any]) -> None:
    write_text(path, json.dumps({k: json_safe(v) for k, v in data.items()}, indent=2, sort_keys=False) + "\n")


def read_json(path: Path) -> Optional[dict[str, Any]]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    import torch

    atomic_write(path, lambda tmp: torch.save(state, tmp))


def load_checkpoint(path: Path) -> dict[str, Any]:
    import torch

    return torch.load(path, map_location="cpu", weights_only=False)


class MetricsFile:
    """``metrics.csv``: one row per epoch, appended and flushed as soon as the epoch ends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.columns: Optional[list[str]] = None

    def rewrite(self, rows: Iterable[dict[str, Any]]) -> None:
        """Replace the file with ``rows`` (on resume: exactly the epochs the checkpoint holds)."""
        rows = list(rows)
        self.columns = list(rows[0]) if rows else None

        def write(tmp: Path) -> None:
            with open(tmp, "w", newline="", encoding="utf-8") as handle:
                if rows:
                    writer = csv.DictWriter(handle, fieldnames=self.columns)
                    writer.writeheader()
                    writer.writerows(rows)

        atomic_write(self.path, write)

    def append(self, row: dict[str, Any]) -> None:
        new_file = self.columns is None
        if new_file:
            self.columns = list(row)
        with open(self.path, "a" if not new_file else "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=self.columns, extrasaction="ignore")
            if new_file:
                writer.writeheader()
            writer.writerow(row)
            handle.flush()
            os.fsync(handle.fileno())


def is_resumable(run_dir: Path) -> bool:
    """A run directory with a checkpoint whose run did not complete."""
    summary = read_json(run_dir / SUMMARY) or {}
    return (run_dir / CHECKPOINT).exists() and summary.get("status") != "completed"


def only_hydra_files(run_dir: Path) -> bool:
    """True when the directory holds nothing but what Hydra wrote before the task started."""
    return all(p.name in (".hydra", "noisy_runner.log") or p.suffix == ".log" for p in run_dir.iterdir())
