"""The single entrypoint: one run, top to bottom.

compose (Hydra) -> validate -> load dataset -> split -> noise -> model and loss -> train
(evaluate on the clean test set every epoch) -> detector -> optional retrain -> summary.

``main`` is the ``@hydra.main`` task; ``run_job`` does the work from a composed config and a
run directory, so tests can call it through Hydra's compose API.  ``cli`` is what
``python -m noisy_runner`` and the ``noisy-runner`` console script call.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
import time
import traceback
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator, Optional

import hydra
from omegaconf import DictConfig, OmegaConf

from noisy_runner.config import ConfigError, MaskedMseConfig, RootConfig, register_configs
from noisy_runner.help import help_text, wants_help
from noisy_runner.outputs import (CHECKPOINT, CONFIG, METRICS, SUMMARY, MetricsFile, is_resumable, load_checkpoint,
                                  only_hydra_files, read_json, save_checkpoint, write_json, write_text)
from noisy_runner.validate import to_settings

log = logging.getLogger("noisy_runner")


def config_dir() -> str:
    """``conf/`` beside the package in a checkout (or editable install), inside it in a wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "conf", here.parent / "conf"):
        if (candidate / "config.yaml").exists():
            return str(candidate)
    raise FileNotFoundError(f"noisy_runner's conf/ folder is missing (looked in {here} and {here.parent})")


register_configs()
TASK_STARTED = False  # set once Hydra has composed a config and called the task
SWEEP_FAILURES: list[str] = []  # filled by callbacks.SweepSummary; makes the multirun exit non-zero


# --------------------------------------------------------------------------- signals
class StopFlag:
    """Set by SIGTERM, SIGINT or SIGUSR2 (submitit's preemption signal); read between steps."""

    SIGNALS = tuple(s for s in (signal.SIGTERM, signal.SIGINT, getattr(signal, "SIGUSR2", None)) if s is not None)

    def __init__(self) -> None:
        self.signum: Optional[int] = None
        self.previous: dict[int, Any] = {}

    def __call__(self) -> bool:
        return self.signum is not None

    def handle(self, signum: int, frame: Any) -> None:
        self.signum = signum

    def pass_on(self) -> None:
        """After the run has saved its state: let a previous handler (submitit's requeue) act."""
        previous = self.previous.get(self.signum)
        if callable(previous):
            previous(self.signum, None)


@contextmanager
def stop_on_signals() -> Iterator[StopFlag]:
    flag = StopFlag()
    for signum in flag.SIGNALS:
        try:
            flag.previous[signum] = signal.signal(signum, flag.handle)
        except ValueError:  # not the main thread: no handlers, nothing to catch
            pass
    try:
        yield flag
    finally:
        for signum, previous in flag.previous.items():
            signal.signal(signum, previous)


# --------------------------------------------------------------------------- steps
def load_data(s: RootConfig, runtime):
    """Dataset -> (held-out OOD classes) -> train/val/test on the device."""
    from noisy_runner.datasets import DATASETS, hold_out_classes, prepare

    bundle = DATASETS.build(s.dataset, s.seed)
    if s.detector.name == "autoencoder":
        bundle = hold_out_classes(bundle, s.detector.ood_classes)
    return prepare(bundle, s.dataset, s.seed, runtime.device)


def add_noise(s: RootConfig, bundle):
    """Label noise once on train (stream 1) and validation (stream 2); returns (noises, train record)."""
    from noisy_runner.noise import NOISES, apply_noises

    noises = [NOISES.build(s.noise, bundle.num_outputs), NOISES.build(s.input_noise, bundle.num_outputs)]
    bundle.train, record = apply_noises(noises, bundle.train, s.seed, stream=1)
    if bundle.val is not None:
        bundle.val, val_record = apply_noises(noises, bundle.val, s.seed, stream=2)
    if "mask" in s.loss.requires:  # masked losses trained on the recorded mask (the oracle)
        bundle.train.mask = record.corrupted
        if bundle.val is not None:
            bundle.val.mask = val_record.corrupted
    return noises, record


def output_dir(s: RootConfig, run_dir: Path, config: dict[str, Any]) -> Path:
    """Where this run writes: its own directory, or the unfinished run it resumes.

    A run directory that already holds an unfinished run's checkpoint is always resumed
    (``hydra.run.dir=...`` again, or a requeued SLURM job).  ``resume=true`` also looks for
    the latest unfinished run with the same config; ``resume=<dir>`` names one.
    """
    if is_resumable(run_dir):
        return run_dir
    if (run_dir / SUMMARY).exists():
        raise ConfigError("hydra.run.dir", str(run_dir), "That directory holds a finished run, which is never "
                          "overwritten; choose a new directory (or leave hydra.run.dir at its default).")
    if isinstance(s.resume, str):
        target = Path(s.resume)
        if not is_resumable(target):
            raise ConfigError("resume", s.resume, f"No unfinished run with a {CHECKPOINT} in that directory.")
        return target
    if s.resume is True:
        match = latest_matching_run(run_dir, config)
        if match is not None:
            return match
        log.warning("resume=true: no unfinished run with this config next to %s; starting fresh.", run_dir)
    return run_dir


def latest_matching_run(run_dir: Path, config: dict[str, Any]) -> Optional[Path]:
    wanted = {k: v for k, v in config.items() if k != "resume"}
    root = run_dir.parents[1] if len(run_dir.parents) > 2 else run_dir.parent  # outputs/<date>/<time>
    candidates = sorted(root.glob(f"*/*/{CONFIG}"), key=lambda p: p.stat().st_mtime, reverse=True)
    for path in candidates:
        saved = OmegaConf.to_container(OmegaConf.load(path))
        if path.parent != run_dir and is_resumable(path.parent) and \
                {k: v for k, v in saved.items() if k != "resume"} == wanted:
            return path.parent
    return None


def epoch_row(trainer, metrics: dict[str, float], bundle, loss_fn, s: RootConfig, runtime) -> dict[str, Any]:
    """One metrics.csv row: train/val/test losses, clean test metrics, lr and training seconds."""
    from noisy_runner.train import evaluate, loss_on

    size = s.train.eval_batch_size
    val_loss = loss_on(trainer.model, bundle.val, loss_fn, runtime, size) if bundle.val is not None else float("nan")
    test = evaluate(trainer.model, bundle.test, bundle.task, runtime, size, bundle.label_std)
    row: dict[str, Any] = {"epoch": trainer.epoch, "train_loss": metrics["train_loss"], "val_loss": val_loss,
                           "test_loss": test["loss"]}
    if bundle.task == "classification":
        row |= {"test_acc": test["acc"], "test_ce": test["ce"], "train_acc_noisy": metrics["train_acc_noisy"],
                "train_acc_true": metrics["train_acc_true"]}
    else:
        row |= {"test_mse": test["mse"]}
        if "mse_original" in test:
            row["test_mse_original"] = test["mse_original"]
    return row | {"lr": metrics["lr"], "seconds": metrics["seconds"]}


def corrupted_entry_error(model, bundle, record, runtime, batch_size: int) -> dict[str, float]:
    """Regression: how far the model is from the *true* values of the labels it was given damaged."""
    from noisy_runner.detectors.base import truth_like
    from noisy_runner.train import predict

    if bundle.task != "regression" or record.count == 0:
        return {}
    truth = truth_like(record, bundle.train.y)
    err = (predict(model, bundle.train.x, runtime, batch_size) - bundle.train.y_true).pow(2)
    return {"train_corrupted_true_mse": float(err[truth].mean()), "train_clean_true_mse": float(err[~truth].mean())
            if (~truth).any() else float("nan")}


def detect(s: RootConfig, ctx, run_dir: Path, logger) -> dict[str, Any]:
    """Run the detector, write detection.csv, score it against the truth; retrain if asked."""
    import pandas as pd

    from noisy_runner.detectors import DETECTORS, score_detection
    from noisy_runner.train import evaluate

    detection = DETECTORS.build(s.detector, ctx)
    if detection is None:
        return {}
    frame = pd.DataFrame({"index": detection.item_index.cpu().numpy(), "score": detection.scores.float().cpu().numpy(),
                          "flagged": detection.flags.cpu().numpy(), "truth": detection.truth.cpu().numpy()})
    tmp = run_dir / ".detection.csv.tmp"
    frame.to_csv(tmp, index=False)
    os.replace(tmp, run_dir / "detection.csv")
    logger.log_table("detection", frame)
    results: dict[str, Any] = score_detection(detection) | detection.metrics
    if s.detector.retrain and detection.retrain_mask is not None:
        train = ctx.bundle.train
        if ctx.bundle.task == "classification":
            model = ctx.train_fresh(train=train.subset(~detection.retrain_mask), seed_offset=100).model
        else:
            model = ctx.train_fresh(train=train.with_(mask=detection.retrain_mask), loss=MaskedMseConfig(),
                                    seed_offset=100).model
        test = evaluate(model, ctx.bundle.test, ctx.bundle.task, ctx.runtime, s.train.eval_batch_size,
                        ctx.bundle.label_std)
        results |= {f"retrain_test_{k}": v for k, v in test.items()}
        results |= {f"retrain_{k}": v for k, v in
                    corrupted_entry_error(model, ctx.bundle, ctx.record, ctx.runtime, s.train.eval_batch_size).items()}
    return results


def after_training(s: RootConfig, out: Path, trainer, bundle, record, runtime, transforms, logger) -> dict[str, Any]:
    """Error on the corrupted labels' true values, the detector (and retrain), the final weights."""
    from noisy_runner.detectors import DetectionContext
    from noisy_runner.train import unwrap

    results = corrupted_entry_error(trainer.model, bundle, record, runtime, s.train.eval_batch_size)
    if s.detector.name != "none":
        ctx = DetectionContext(model=trainer.model, history=trainer.history, bundle=bundle, record=record,
                               runtime=runtime, settings=s,
                               train_fresh=fresh_trainer_factory(s, bundle, runtime, transforms))
        results |= detect(s, ctx, out, logger)
    save_checkpoint(out / "model.pt", unwrap(trainer.model).state_dict())
    return results


def fresh_trainer_factory(s: RootConfig, bundle, runtime, transforms):
    """``train_fresh`` for detectors: a new model trained with the run's settings, quietly."""
    import torch

    from noisy_runner.losses import LOSSES
    from noisy_runner.models import MODELS
    from noisy_runner.train import Trainer

    def train_fresh(train=None, loss=None, epochs=None, seed_offset: int = 0, num_outputs: Optional[int] = None,
                    record_history: bool = False) -> Trainer:
        seed = s.seed + 1000 * (seed_offset + 1)
        torch.manual_seed(seed)
        split = train if train is not None else bundle.train
        model = runtime.prepare_model(MODELS.build(s.model, bundle.input_shape, num_outputs or bundle.num_outputs),
                                      bundle.is_image)
        schedule = replace(s.train, epochs=epochs or s.train.epochs, progress=False)
        trainer = Trainer(model=model, loss_fn=LOSSES.build(loss or s.loss, split), train=split, cfg=schedule,
                          runtime=runtime, task=bundle.task, seed=seed,
                          transforms=transforms, record_history=record_history)
        trainer.fit()
        return trainer

    return train_fresh


# --------------------------------------------------------------------------- the run
def run_job(cfg: DictConfig, run_dir: Path, *, wandb_group: Optional[str] = None,
            job_name: Optional[str] = None) -> dict[str, Any]:
    """Validate ``cfg`` and execute one run writing into ``run_dir``; returns the summary.

    Raises ``ConfigError`` (nothing written yet) for a bad config or missing data files.
    Every later failure is recorded in ``summary.json`` as failed, diverged or interrupted.
    """
    settings = to_settings(cfg)
    config = OmegaConf.to_container(cfg, resolve=True)
    from noisy_runner.device import resolve_runtime

    runtime = resolve_runtime(settings.device)
    bundle = load_data(settings, runtime)
    noises, record = add_noise(settings, bundle)
    out = output_dir(settings, run_dir, config)
    out.mkdir(parents=True, exist_ok=True)
    return execute(settings, config, out, runtime, bundle, noises, record, wandb_group, job_name or out.name)


def execute(s: RootConfig, config: dict[str, Any], out: Path, runtime, bundle, noises, record,
            wandb_group: Optional[str], job_name: str) -> dict[str, Any]:
    import torch
    from tqdm.auto import tqdm

    from noisy_runner.loggers import build_logger
    from noisy_runner.losses import LOSSES
    from noisy_runner.models import MODELS
    from noisy_runner.train import Diverged, Interrupted, Trainer

    started = time.time()
    resumed = (out / CHECKPOINT).exists()
    previous = read_json(out / SUMMARY) or {}
    write_text(out / CONFIG, OmegaConf.to_yaml(OmegaConf.create(config)))
    summary: dict[str, Any] = {"status": "running", "seed": s.seed, "device": runtime.device.type,
                               "precision": runtime.precision, "threads": runtime.threads,
                               "noise_fraction": record.fraction, "noise_count": record.count,
                               "train_size": len(bundle.train), "resumed": resumed}
    write_json(out / SUMMARY, summary)
    logger = build_logger(s.logger, config, str(out), job_name, wandb_group)
    metrics_file = MetricsFile(out / METRICS)

    torch.manual_seed(s.seed)
    model = runtime.prepare_model(MODELS.build(s.model, bundle.input_shape, bundle.num_outputs), bundle.is_image)
    loss_fn = LOSSES.build(s.loss, bundle.train)
    transforms = [n.input_transform(bundle.train) for n in noises if n.input_transform is not None]
    trainer = Trainer(model=model, loss_fn=loss_fn, train=bundle.train, cfg=s.train, runtime=runtime,
                      task=bundle.task, seed=s.seed, transforms=transforms, record_history=s.detector.needs_history)
    if resumed:
        trainer.load_state_dict(load_checkpoint(out / CHECKPOINT))
        metrics_file.rewrite(trainer.rows)
        log.info("resuming %s at epoch %d (was %s)", out, trainer.epoch, previous.get("status"))
    else:
        save_checkpoint(out / CHECKPOINT, trainer.state_dict())

    # disable=None: tqdm shows the bar only when stderr is a terminal (clean SLURM and joblib logs)
    bar = tqdm(total=s.train.epochs, initial=trainer.epoch, desc="epochs", disable=None if s.train.progress else True,
               file=sys.stderr, dynamic_ncols=True)

    def on_epoch(t: Trainer, metrics: dict[str, float]) -> None:
        row = epoch_row(t, metrics, bundle, loss_fn, s, runtime)
        t.rows.append(row)
        metrics_file.append(row)
        logger.log_epoch(row)
        every = s.train.checkpoint_every
        if (every and t.epoch % every == 0) or t.epoch == s.train.epochs:
            save_checkpoint(out / CHECKPOINT, t.state_dict())
        shown = {k: row[k] for k in ("train_loss", "val_loss", "test_acc", "test_mse") if k in row}
        bar.set_postfix({k: f"{v:.4g}" for k, v in shown.items()}, refresh=False)
        bar.update(1)

    status, error = "completed", None
    with stop_on_signals() as stop:
        trainer.should_stop = stop
        try:
            trainer.fit(on_epoch)
            summary |= after_training(s, out, trainer, bundle, record, runtime, transforms, logger)
        except Diverged as exc:
            status, error = "diverged", str(exc)
        except Interrupted as exc:
            status, error = "interrupted", str(exc)
        except Exception as exc:  # recorded in summary.json; the exit status says it too
            status, error = "failed", f"{type(exc).__name__}: {exc}"
            log.error("run failed:\n%s", traceback.format_exc())
        finally:
            bar.close()
        final = dict(trainer.rows[-1]) if trainer.rows else {}
        final.pop("epoch", None)
        summary |= {"status": status, "epochs_completed": trainer.epoch} | final
        if error:
            summary["error"] = error
        summary["seconds"] = time.time() - started + (previous.get("seconds") or 0.0 if resumed else 0.0)
        write_json(out / SUMMARY, summary)
        logger.log_summary(summary)
        logger.finish(ok=status == "completed")
        if status == "interrupted":
            log.warning("interrupted; resume with the same command and resume=true (checkpoint in %s)", out)
            stop.pass_on()
    return summary


# --------------------------------------------------------------------------- entry points
def report_config_error(error: ConfigError, run_dir: Optional[Path]) -> None:
    """One short message on stderr, exit status 2; remove the run dir if only Hydra wrote to it."""
    if os.environ.get("HYDRA_FULL_ERROR") == "1":
        traceback.print_exc()
    print(f"noisy_runner: {error}", file=sys.stderr, flush=True)
    if run_dir is not None and run_dir.is_dir() and only_hydra_files(run_dir):
        logging.shutdown()
        shutil.rmtree(run_dir, ignore_errors=True)
    sys.exit(2)


HEADLINE = ("test_acc", "test_ce", "test_mse", "test_mse_original", "detection_precision", "detection_recall",
            "detection_f1", "detection_auroc", "retrain_test_acc", "retrain_test_mse")


def headline(summary: dict[str, Any]) -> str:
    """The numbers a researcher looks at first, for the one line printed at the end of a run."""
    shown = [f"{key} {summary[key]:.4g}" for key in HEADLINE if isinstance(summary.get(key), (int, float))]
    return ", ".join(shown) or "no metrics"


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="config")
def main(cfg: DictConfig) -> str:
    """The Hydra task: one run in Hydra's run (or sweep job) directory."""
    global TASK_STARTED
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    TASK_STARTED = True
    hydra_cfg = HydraConfig.get()
    run_dir = Path(hydra_cfg.runtime.output_dir)
    multirun = hydra_cfg.mode == RunMode.MULTIRUN
    group = f"sweep-{Path(hydra_cfg.sweep.dir).name}" if multirun else None
    name = f"job{hydra_cfg.job.num}-{hydra_cfg.job.override_dirname}"[:120] if multirun else run_dir.name
    try:
        summary = run_job(cfg, run_dir, wandb_group=group, job_name=name)
    except ConfigError as error:
        report_config_error(error, run_dir)
    log.info("%s: %s -> %s", summary["status"], headline(summary), run_dir)
    if summary["status"] != "completed":
        print(f"noisy_runner: run {summary['status']}: {summary.get('error', '')} ({run_dir})", file=sys.stderr)
        if not multirun:  # in a sweep the other jobs go on; the sweep summary lists this one
            sys.exit(128 + signal.SIGTERM if summary["status"] == "interrupted" else 1)
    return summary["status"]


def cli() -> None:
    """Console entry: composition errors (unknown option, bad type) exit 2 like validation errors."""
    if wants_help(sys.argv[1:]):
        print_help([arg for arg in sys.argv[1:] if not arg.startswith("-")])
        return
    try:
        main()
    except SystemExit as exit_:
        if exit_.code == 1 and not TASK_STARTED:
            sys.exit(2)
        raise
    if SWEEP_FAILURES:
        sys.exit(1)


def print_help(overrides: list[str]) -> None:
    from hydra.errors import HydraException

    try:
        print(help_text(Path(config_dir()), overrides))
    except HydraException as error:
        print(f"noisy_runner: {error}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    cli()
