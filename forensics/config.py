"""Settings: packaged defaults (`thresholds.toml`) merged with a user file.

Order (later wins): packaged defaults → the file named by FORENSICS_CONFIG →
the file given with `--config`.  Every value must have the type of its
default (a number where a number is expected), else the file is refused with
a sentence naming the key, the file and the expected type.  `load_config()` returns a plain dict so the
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


_TYPE_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string",
               list: "a list", dict: "a table"}


def _type_name(value) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _fits(default, value) -> bool:
    """Whether `value` has the type of the packaged `default` (an integer
    where a number is expected fits; a boolean is no number)."""
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    if isinstance(default, list):
        return isinstance(value, list) and (not default or all(_fits(default[0], item) for item in value))
    return isinstance(value, type(default))


def _expected(default) -> str:
    if isinstance(default, list) and default:
        return f"a list of {_type_name(default[0]).removeprefix('an ').removeprefix('a ')}s"
    return _type_name(default)


def _merge(base: dict, override: dict, where: str, section: str = "") -> dict:
    for key, value in override.items():
        name = f"[{section}] {key}" if section else key
        if key not in base:
            in_section = f" [{section}]" if section else ""
            raise ForensicsError(f"{where}{in_section}: unknown setting {key!r} (known: {', '.join(sorted(base))})")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ForensicsError(f"{where}: {key!r} must be a table ([{key}])")
            _merge(base[key], value, where, f"{section}.{key}" if section else key)
        elif not _fits(base[key], value):
            raise ForensicsError(
                f"{where}: {name} must be {_expected(base[key])} like its default {base[key]!r} "
                f"(forensics/thresholds.toml), not {_type_name(value)} {value!r}")
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
