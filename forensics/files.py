"""Reading and writing whole output files, with one true sentence on failure.

A report or a signed copy is written next to its destination as
``<name>.part`` and renamed over it, so that a reader never sees half a PDF
and a failure (disk full, no permission) leaves any earlier file untouched.
"""

from __future__ import annotations

from pathlib import Path

from forensics.errors import ForensicsError


def read_bytes(path: Path) -> bytes:
    """The whole file, or a ForensicsError naming it and the reason."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ForensicsError(f"cannot read {path}: {exc.strerror}") from None


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one rename; a ForensicsError if that fails."""
    path = Path(path)
    if not path.parent.is_dir():
        raise ForensicsError(f"directory does not exist: {path.parent}")
    tmp = path.with_name(path.name + ".part")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ForensicsError(f"cannot write {path}: {exc.strerror}") from None
