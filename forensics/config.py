"""Settings: packaged defaults (`thresholds.toml`) merged with a user file.

Order (later wins): packaged defaults → the file named by FORENSICS_CONFIG →
the file given with `--config`.  `load_config()` returns a plain dict so the
report can print the rules in force.
"""

from __future__ import annotations

import copy
import os
import tomllib
from functools import lru_cache
from pathlib import Path

from forensics.errors import ForensicsError
from forensics.resources import package_dir


@lru_cache(maxsize=1)
def _defaults() -> dict:
    with open(package_dir() / "thresholds.toml", "rb") as fh:
        return tomllib.load(fh)


def _merge(base: dict, override: dict, where: str) -> dict:
    for key, value in override.items():
        if key not in base:
            raise ForensicsError(f"{where}: unknown setting {key!r} (known: {', '.join(sorted(base))})")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ForensicsError(f"{where}: {key!r} must be a table")
            _merge(base[key], value, f"{where} [{key}]")
        else:
            base[key] = value
    return base


def load_config(path: str | Path | None = None) -> dict:
    """The settings in force: defaults, then FORENSICS_CONFIG, then `path`."""
    config = copy.deepcopy(_defaults())
    for candidate in (os.environ.get("FORENSICS_CONFIG"), path):
        if not candidate:
            continue
        try:
            with open(candidate, "rb") as fh:
                _merge(config, tomllib.load(fh), str(candidate))
        except OSError as exc:
            raise ForensicsError(f"cannot read config file {candidate}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ForensicsError(f"config file {candidate} is not valid TOML: {exc}") from None
    return config
