"""Where and how tensors live: device choice, precision, memory format and CPU threads."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Optional

import torch

from noisy_runner.config import ConfigError, DeviceConfig

PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass(frozen=True)
class Runtime:
    """The resolved device settings every step reads."""

    device: torch.device
    amp_dtype: Optional[torch.dtype]
    channels_last: bool
    compile: bool
    threads: int

    @property
    def precision(self) -> str:
        return {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}[self.amp_dtype]

    def autocast(self):
        """Autocast to the configured precision; a no-op context in fp32."""
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.amp_dtype)

    def prepare_model(self, model: torch.nn.Module, is_image: bool) -> torch.nn.Module:
        model = model.to(self.device)
        if self.channels_last and is_image:
            model = model.to(memory_format=torch.channels_last)
        return torch.compile(model) if self.compile else model

    def prepare_inputs(self, x: torch.Tensor) -> torch.Tensor:
        if self.channels_last and x.ndim == 4:
            return x.contiguous(memory_format=torch.channels_last)
        return x


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def default_threads() -> int:
    """Torch CPU threads: the SLURM/joblib allowance when set, else the cores, at most 4.

    Small models on small CPUs slow down badly when torch spawns more threads than cores
    (or than the cores a parallel launcher gives each job).
    """
    for variable in ("NOISY_RUNNER_THREADS", "SLURM_CPUS_PER_TASK", "OMP_NUM_THREADS"):
        if os.environ.get(variable, "").isdigit() and int(os.environ[variable]) > 0:
            return int(os.environ[variable])
    return max(1, min(4, available_cores()))


def resolve_runtime(cfg: DeviceConfig) -> Runtime:
    """``auto`` picks CUDA when present; ``cuda`` without a GPU is a ConfigError."""
    has_cuda = torch.cuda.is_available()
    if cfg.name == "cuda" and not has_cuda:
        raise ConfigError("device", "cuda", "CUDA is not available on this machine; use device=auto or device=cpu.")
    device = torch.device("cuda" if cfg.name == "cuda" or (cfg.name == "auto" and has_cuda) else "cpu")
    precision = cfg.precision
    if precision == "auto":
        precision = "bf16" if device.type == "cuda" else "fp32"
    if precision == "fp16" and device.type != "cuda":
        raise ConfigError("device.precision", "fp16", "fp16 needs CUDA; on CPU use fp32 or bf16.")
    threads = cfg.threads or default_threads()
    torch.set_num_threads(threads)
    with contextlib.suppress(RuntimeError):  # can only be set once per process
        torch.set_num_interop_threads(1)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    return Runtime(device=device, amp_dtype=PRECISIONS[precision], channels_last=cfg.channels_last and device.type == "cuda",
                   compile=cfg.compile, threads=threads)
