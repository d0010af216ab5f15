"""English counts for the CLI and for the facts a case records in English
(`sources.assumptions`): "1 line", "3 lines", never "line(s)".

The report's sentences are translated messages with their own plural forms
(`forensics.messages`); this is only for the English text around them.
"""

from __future__ import annotations


def counted(n: int, word: str, words: str | None = None) -> str:
    """`n` and the English noun in its number: "1 claim", "3 claims"."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def were(n: int) -> str:
    """The verb for `n` things: "1 file was", "2 files were"."""
    return "was" if n == 1 else "were"
