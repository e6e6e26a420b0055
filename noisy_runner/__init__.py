"""noisy_runner: a Hydra-configured experiment runner for learning with noisy labels."""

__version__ = "0.1.0"
