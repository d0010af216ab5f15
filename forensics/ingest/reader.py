"""Reading a log file: plain or compressed, in large chunks of numbered lines.

The reader is the engine's only contact with the file's bytes.  It

* recognises gzip, bzip2 and xz by their magic bytes (not by the file name)
  and decompresses them as streams, concatenated members included;
* hashes the file's stored bytes (SHA-256) while reading them, so that a large
  file is read once;
* cuts the decompressed stream into chunks of whole lines (the tail of a chunk
  is carried into the next one) and numbers the lines from 1;
* strips the line terminator (`\\n` or `\\r\\n`) and nothing else;
* decodes UTF-8 one chunk at a time; a line that is not valid UTF-8 is decoded
  with U+FFFD replacement characters and its original bytes are kept, so the
  case can always show what the file really said;
* stops at a damaged or truncated compressed stream, keeping every line that
  was decompressed before the damage, and records why (`truncated`,
  `truncation_reason`).
"""

from __future__ import annotations

import bz2
import hashlib
import lzma
import os
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

# Compressed input is fed to the decompressor in blocks of this size, so that
# damage costs at most the output of one block.
_INPUT_BLOCK = 1 << 20

# A line of nothing but white space (the engine's definition of blank).
_BLANK_CHARS = " \t\r\f\v"
# Anchored on the newlines: `^...$` with re.M tries every position of a
# 16 MiB chunk (measured 76 ms a chunk, 17% of an access-log ingest); this
# form only looks where a line starts (6 ms).  First and last line apart.
_INNER_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


def has_blank_line(text: str) -> bool:
    """True when some line of `text` (split on "\\n") is empty or white space only."""
    first_end = text.find("\n")
    first = text if first_end < 0 else text[:first_end]
    last = text[text.rfind("\n") + 1:]
    return (not first.strip(_BLANK_CHARS) or not last.strip(_BLANK_CHARS)
            or _INNER_BLANK_LINE.search(text) is not None)

_MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bz2"),
    (b"\xfd7zXZ\x00", "xz"),
)


def sniff_compression(path: str | Path) -> str | None:
    """`gzip`, `bz2`, `xz` or None (plain), from the file's first bytes."""
    with open(path, "rb") as fh:
        head = fh.read(6)
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return None


@dataclass
class Chunk:
    """Consecutive lines of the file.

    Attributes:
        first_line_no: 1-based number of `lines[0]` in the decompressed file.
        lines: decoded lines without their terminators.
        invalid: index in `lines` -> original bytes, for lines that were not
            valid UTF-8.
        maybe_blank: False when no line can be blank (found by one regex
            search over the chunk's text), so the engine can skip looking.
    """

    first_line_no: int
    lines: list[str]
    invalid: dict[int, bytes] = field(default_factory=dict)
    maybe_blank: bool = True   # False when the chunk surely has no blank line


def _new_decompressor(kind: str):
    if kind == "gzip":
        return zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    if kind == "bz2":
        return bz2.BZ2Decompressor()
    return lzma.LZMADecompressor()


class SourceReader:
    """One input file, read once.

    Args:
        path: the file as given by the user.
        chunk_bytes: approximate size of the decompressed text per chunk.

    After `chunks()` is exhausted: `sha256`, `bytes_read` (stored bytes),
    `truncated` and `truncation_reason` are final.
    """

    def __init__(self, path: str | Path, chunk_bytes: int = 16 << 20):
        self.path = Path(path)
        self.chunk_bytes = chunk_bytes
        self.compression = sniff_compression(self.path)
        stat = self.path.stat()
        self.size_bytes = stat.st_size
        self.mtime = stat.st_mtime
        self.truncated = False
        self.truncation_reason: str | None = None
        self.bytes_read = 0          # stored (compressed) bytes consumed so far
        self._hash = hashlib.sha256()
        self._done = False

    @property
    def sha256(self) -> str:
        if not self._done:
            raise RuntimeError("sha256 is known only after the whole file was read")
        return self._hash.hexdigest()

    # -- bytes -----------------------------------------------------------
    def _stored_blocks(self, size: int) -> Iterator[bytes]:
        with open(self.path, "rb") as fh:
            while True:
                block = fh.read(size)
                if not block:
                    break
                self._hash.update(block)
                self.bytes_read += len(block)
                yield block
        self._done = True

    def _mark_truncated(self, reason: str) -> None:
        self.truncated = True
        self.truncation_reason = reason

    def _decompressed_blocks(self) -> Iterator[bytes]:
        """The file's content, decompressed; stops (and records why) at damage."""
        if self.compression is None:
            yield from self._stored_blocks(self.chunk_bytes)
            return
        kind = self.compression
        decomp = _new_decompressor(kind)
        started_member = False
        blocks = self._stored_blocks(_INPUT_BLOCK)
        for block in blocks:
            data = block
            while data:
                try:
                    out = decomp.decompress(data)
                except (zlib.error, OSError, lzma.LZMAError, EOFError, ValueError) as exc:
                    self._mark_truncated(f"{kind} stream is corrupt after "
                                         f"{self.bytes_read:,} stored bytes: {exc}")
                    for _ in blocks:  # keep hashing the file's bytes
                        pass
                    return
                started_member = True
                if out:
                    yield out
                if decomp.eof:
                    # Concatenated members (`cat a.gz b.gz`) continue the stream.
                    data = decomp.unused_data
                    decomp = _new_decompressor(kind)
                    started_member = False
                    if data.strip(b"\x00") == b"":  # gzip padding at the end
                        data = b""
                else:
                    data = b""
        if started_member and not decomp.eof:
            self._mark_truncated(f"{kind} stream ends before its end-of-stream marker "
                                 f"(file cut short at {self.size_bytes:,} bytes)")

    # -- lines -----------------------------------------------------------
    def chunks(self) -> Iterator[Chunk]:
        """Chunks of numbered, decoded lines, in file order."""
        line_no = 1
        pending = b""
        buffered: list[bytes] = []
        buffered_len = 0
        for block in self._decompressed_blocks():
            buffered.append(block)
            buffered_len += len(block)
            if buffered_len < self.chunk_bytes:
                continue
            data = pending + b"".join(buffered)
            buffered, buffered_len = [], 0
            cut = data.rfind(b"\n")
            if cut < 0:
                pending = data
                continue
            pending = data[cut + 1:]
            chunk = _decode_lines(data[:cut], line_no)
            line_no += len(chunk.lines)
            yield chunk
        data = pending + b"".join(buffered)
        if data:
            # The last line may lack its newline; it is a line all the same.
            if data.endswith(b"\n"):
                data = data[:-1]
            chunk = _decode_lines(data, line_no)
            yield chunk


def _decode_lines(data: bytes, first_line_no: int) -> Chunk:
    """Whole lines (without the final newline) -> a Chunk."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _decode_lines_with_invalid(data, first_line_no)
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if text.endswith("\r"):
            text = text[:-1]
    return Chunk(first_line_no, text.split("\n"), maybe_blank=has_blank_line(text))


def _decode_lines_with_invalid(data: bytes, first_line_no: int) -> Chunk:
    # The slow path, for the rare chunk that holds invalid UTF-8.  Splitting
    # bytes and text on "\n" gives the same line count: a newline byte never
    # occurs inside a multi-byte sequence, and replacement never creates one.
    raw_lines = data.split(b"\n")
    lines: list[str] = []
    invalid: dict[int, bytes] = {}
    for i, raw in enumerate(raw_lines):
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(raw.decode("utf-8", errors="replace"))
            invalid[i] = raw
    return Chunk(first_line_no, lines, invalid)


def head_lines(path: str | Path, max_lines: int = 50, max_bytes: int = 1 << 20) -> list[str]:
    """The first lines of a file (decompressed, decoded), for format detection.

    A damaged compressed file yields what could be read.
    """
    reader = SourceReader(path, chunk_bytes=max_bytes)
    collected = b""
    for block in reader._decompressed_blocks():
        collected += block
        if len(collected) >= max_bytes or collected.count(b"\n") > max_lines:
            break
    text = collected[:max_bytes].decode("utf-8", errors="replace")
    lines = text.replace("\r\n", "\n").split("\n")
    if len(collected) >= max_bytes or collected.count(b"\n") > max_lines:
        lines = lines[:-1]  # possibly cut mid-line
    return lines[:max_lines]


def describe_path_problem(path: str | Path) -> str | None:
    """A sentence if `path` cannot be ingested as a file, else None."""
    p = Path(path)
    if not p.exists():
        return f"{path}: no such file"
    if p.is_dir():
        return f"{path}: is a directory; give the log files inside it"
    if not p.is_file():
        return f"{path}: not a regular file"
    if not os.access(p, os.R_OK):
        return f"{path}: not readable (permission denied)"
    return None


def prefetched(chunks: Iterator[Chunk], depth: int = 1) -> Iterator[Chunk]:
    """Read (decompress, decode, split) the next chunk while the current one is parsed.

    DuckDB releases the GIL while it parses and writes, so the reading
    thread's work overlaps with it.  An error in the reader is raised here,
    in the consumer; a consumer that stops early (an error, Ctrl-C) stops the
    reader too.
    """
    import queue
    import threading

    box: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for chunk in chunks:
                while not stop.is_set():
                    try:
                        box.put(chunk, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            box.put(done)
        except BaseException as exc:  # handed to the consumer
            box.put(exc)

    worker = threading.Thread(target=produce, name="forensics-reader", daemon=True)
    worker.start()
    try:
        while True:
            item = box.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join(timeout=5)
