"""Errors a person can act on.

Library code raises these; the CLI turns them into one sentence and a
non-zero exit code, never a traceback.
"""


class ForensicsError(Exception):
    """A failure with a message meant for the user (bad input, missing file)."""

    exit_code = 1


class UnknownFormatError(ForensicsError):
    """No log format matched the first lines of a file."""


class CorruptInputError(ForensicsError):
    """An input (compressed archive, GeoIP database) is damaged or unreadable."""
