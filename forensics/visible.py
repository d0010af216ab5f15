"""Showing log content as the bytes it is: the one escaper of every output.

Log lines are hostile input.  A User-Agent can carry terminal escape
sequences (clear the screen, retitle the window, hide text); a bidi override
makes `RED\\u202eevil` read as "REDlive" ("Trojan Source"); a zero-width space
makes `adm\\u200bin` look like `admin`; a newline in a logged user name forges a
line of output (`assessment: compromise_suspected`).  `visible()` shows each
such character as an escape (`\\x1b`, `\\u202e`, `\\x0a`), so what a person
reads, on a terminal or in the PDF, is what the log holds.  The CLI's text
output (`forensics.cli.output`) and the report's templates (the Jinja2
`finalize` hook of `forensics.report.render`) both use it.
"""

from __future__ import annotations

import re

# C0 controls (tab and newline included), DEL, C1 controls; the zero-width
# and direction marks, the line/paragraph separators, embeddings, overrides,
# isolates and invisible operators; the Arabic letter mark; the BOM /
# zero-width no-break space.
_INVISIBLE = "\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff"
_UNSAFE = re.compile(f"[\x00-\x1f{_INVISIBLE}]")
_UNSAFE_KEEP_LINES = re.compile(f"[\x00-\x08\x0b-\x1f{_INVISIBLE}]")   # tab and newline stay


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, keep_line_breaks: bool = False) -> str:
    """`text` with control, invisible and direction characters shown as escapes.

    Args:
        text: a value from a log, or a message quoting one.
        keep_line_breaks: keep newlines and tabs (for a whole message of
            several lines made by the tool; never for a single value).

    Example:
        >>> visible("RED\\u202eevil")
        'RED\\\\u202eevil'
    """
    pattern = _UNSAFE_KEEP_LINES if keep_line_breaks else _UNSAFE
    return pattern.sub(_escape, text)
