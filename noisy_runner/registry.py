"""Name -> builder registries, one per config group.

A builder is registered under the same name as its schema in ``config.py``; the registry
builds from a typed config node by reading its ``name``.
"""

from __future__ import annotations

from typing import Any, Callable, Generic, TypeVar

from noisy_runner.config import ConfigError

T = TypeVar("T", bound=Callable[..., Any])


class Registry(Generic[T]):
    """Builders of one config group, keyed by the option name used on the command line."""

    def __init__(self, group: str) -> None:
        self.group = group
        self._builders: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def wrap(builder: T) -> T:
            if name in self._builders:
                raise KeyError(f"{self.group} '{name}' is registered twice")
            self._builders[name] = builder
            return builder

        return wrap

    def get(self, name: str) -> T:
        if name not in self._builders:
            raise ConfigError(f"{self.group}.name", name, f"Allowed: {', '.join(sorted(self._builders))}.")
        return self._builders[name]

    def build(self, cfg: Any, *args: Any, **kwargs: Any) -> Any:
        return self.get(cfg.name)(cfg, *args, **kwargs)

    def names(self) -> list[str]:
        return sorted(self._builders)
