"""``python -m noisy_runner --help`` in well under a second.

Hydra's own app help lists config groups by building a config repository once per group and
option (about 135 deep copies of the ConfigStore here: 2-6 s, and it lists the ``schema/*``
groups users never select).  This prints the same template from ``hydra.help.template`` with the
groups read straight from ``conf/`` and the config composed once with the user's overrides.
"""

from __future__ import annotations

import string
from pathlib import Path

HELP_FLAGS = ("--help", "-h")


def wants_help(argv: list[str]) -> bool:
    return any(arg in HELP_FLAGS for arg in argv)


def config_groups(conf: Path) -> str:
    """``group: option, option`` per folder of ``conf/``, as Hydra's ``$APP_CONFIG_GROUPS`` shows it."""
    lines = []
    for group in sorted(p for p in conf.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        options = sorted(f.stem for f in group.glob("*.yaml"))
        if options:
            lines.append(f"{group.name}: {', '.join(options)}")
    return "\n".join(lines) + "\n"


def help_text(conf: Path, overrides: list[str]) -> str:
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf, open_dict

    with initialize_config_dir(config_dir=str(conf), version_base="1.3"):
        cfg = compose(config_name="config", overrides=overrides, return_hydra_config=True)
    template = string.Template(cfg.hydra.help.template)
    with open_dict(cfg):
        del cfg["hydra"]
    return template.safe_substitute(APP_CONFIG_GROUPS=config_groups(conf), CONFIG=OmegaConf.to_yaml(cfg),
                                    HYDRA_CONFIG_GROUPS="", FLAGS_HELP="")
