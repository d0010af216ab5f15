"""Auto-detection: which format do a file's first lines speak?

Each format scores the first non-blank lines: a format that can judge a line
only in the company of others (a CSV export whose data rows mean nothing
without the header line above them) implements `sniff_score(lines)` and is
given the sample as a whole; every other format is asked about each line on
its own (its `sniff` on one line at a time).  The format that recognises the
most lines wins, ties going to the earlier (more specific) format in
`registry.all_formats()`.  A
file no format recognises is refused, naming the formats tried and the
first line, because guessing would put wrong facts into evidence; so is a
file whose best format recognises too small a share of the lines (one stray
line among garbage), naming that format so that `--format` can insist.
"""

from __future__ import annotations

from forensics.errors import UnknownFormatError
from forensics.ingest.base import LogFormat


def _shorten(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _score(fmt: LogFormat, sample: list[str]) -> int:
    """How many of the sample's lines `fmt` recognises (0 when its sniff fails)."""
    whole = getattr(fmt, "sniff_score", None)
    if whole is not None:
        try:
            return min(int(whole(sample)), len(sample))
        except Exception:  # a format's sniff must not take detection down
            return 0
    score = 0
    for line in sample:
        try:
            score += bool(fmt.sniff([line]))
        except Exception:
            continue
    return score


def detect_format(path: str, head: list[str], formats: list[LogFormat], sample_lines: int,
                  min_share: float = 0.0) -> LogFormat:
    """The best format for a file whose first lines are `head`.

    Args:
        path: the file as given (for the message).
        head: its first lines, decoded.
        formats: candidates in detection order.
        sample_lines: how many non-blank lines to look at.
        min_share: the smallest share of those lines the winner must recognise.

    Raises:
        UnknownFormatError: no format recognises any of the lines, or the best
            one recognises less than `min_share` of them.
    """
    sample = [line for line in head if line.strip()][:sample_lines]
    if not sample:
        raise UnknownFormatError(f"{path}: the file has no non-blank line in its first "
                                 f"{len(head)} lines; nothing to detect its format from")
    best, best_score = None, 0
    for fmt in formats:
        score = _score(fmt, sample)
        if score > best_score:
            best, best_score = fmt, score
    if best is None:
        names = ", ".join(f.name for f in formats)
        raise UnknownFormatError(
            f"{path}: no known format matches its first lines (tried: {names}); "
            f"first line: {_shorten(sample[0])!r}. Give --format NAME or a .toml definition."
        )
    if best_score < min_share * len(sample):
        raise UnknownFormatError(
            f"{path}: only {best_score} of its first {len(sample)} non-blank lines look like "
            f"{best.name} (at least {min_share:.0%} needed to choose a format on its own); "
            f"first line: {_shorten(sample[0])!r}. If {best.name} is right, give --format {best.name}."
        )
    return best
