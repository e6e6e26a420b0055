"""Loggers: the CSV files always; wandb on top when ``logger=wandb``.

A wandb failure (no network, bad key, missing package) is reported once and never stops the run;
every wandb run is finished so that joblib's reused worker processes start a new run per job.
"""

from __future__ import annotations

import sys
from typing import Any, Optional

from noisy_runner.config import WandbLoggerConfig


def warn(message: str) -> None:
    print(f"[noisy_runner] {message}", file=sys.stderr, flush=True)


class NullLogger:
    """The interface; the CSV and JSON files are written by the run itself."""

    def log_epoch(self, row: dict[str, Any]) -> None: ...

    def log_summary(self, summary: dict[str, Any]) -> None: ...

    def log_table(self, name: str, frame: Any) -> None: ...

    def finish(self, ok: bool) -> None: ...


class WandbLogger(NullLogger):
    def __init__(self, cfg: WandbLoggerConfig, config: dict[str, Any], run_dir: str, name: str,
                 default_group: Optional[str]) -> None:
        self.run = None
        try:
            import wandb

            self.wandb = wandb
            self.run = wandb.init(project=cfg.project, entity=cfg.entity, group=cfg.group or default_group,
                                  tags=list(cfg.tags), mode=cfg.mode, config=config, dir=run_dir, name=name,
                                  reinit="finish_previous", settings=wandb.Settings(init_timeout=60, silent=True))
        except Exception as error:  # wandb must never kill a run
            warn(f"wandb could not start ({type(error).__name__}: {error}); continuing with the CSV files only.")

    def _safely(self, action: str, call) -> None:
        if self.run is None:
            return
        try:
            call()
        except Exception as error:
            warn(f"wandb failed to {action} ({type(error).__name__}: {error}); the CSV files are complete.")

    def log_epoch(self, row: dict[str, Any]) -> None:
        self._safely("log an epoch", lambda: self.run.log(dict(row), step=int(row["epoch"])))

    def log_summary(self, summary: dict[str, Any]) -> None:
        self._safely("write the summary", lambda: self.run.summary.update(dict(summary)))

    def log_table(self, name: str, frame: Any) -> None:
        self._safely(f"log table {name}", lambda: self.run.log({name: self.wandb.Table(dataframe=frame)}))

    def finish(self, ok: bool) -> None:
        self._safely("finish", lambda: self.run.finish(exit_code=0 if ok else 1))
        self.run = None


def build_logger(cfg: Any, config: dict[str, Any], run_dir: str, name: str,
                 default_group: Optional[str]) -> NullLogger:
    if cfg.name == "wandb":
        return WandbLogger(cfg, config, run_dir, name, default_group)
    return NullLogger()
