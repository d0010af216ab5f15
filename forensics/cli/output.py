"""Printing log content to a terminal, safely.

Log lines are hostile input: a User-Agent can carry escape sequences that
clear the screen, retitle the window or hide text, and bidi overrides can
make a line read differently from what it says ("Trojan Source").  Every
text-mode line the CLI prints goes through `echo`, which shows such
characters as visible escapes (`\\x1b`, `\\u202e`).  Machine formats keep
values as logged: `--json` escapes control characters itself, `--csv` is data.
"""

from __future__ import annotations

import re

import click

# C0 controls except tab and newline, DEL, C1 controls, and the Unicode
# direction marks/overrides/isolates.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """`text` with control and direction characters shown as escapes."""
    return _UNSAFE.sub(_escape, text)


def echo(message: str = "", **kwargs) -> None:
    """click.echo for text meant for a person (see the module docstring)."""
    click.echo(terminal_safe(str(message)), **kwargs)
