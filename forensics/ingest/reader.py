"""Reading a log file: plain or compressed, in large chunks of numbered lines.

The reader is the engine's only contact with the file's bytes.  It

* recognises gzip, bzip2 and xz by their magic bytes (not by the file name)
  and decompresses them as streams, concatenated members included;
* hashes the file's stored bytes (SHA-256) and counts them in the same read,
  so that size and hash describe the same bytes; it also hashes the
  decompressed content, so that one log given plain and compressed is
  recognised as the same;
* feeds the decompressor in small steps with a cap on the output of each step
  (`max_length`), so that no input, a decompression bomb included, needs
  more memory than one step and one chunk;
* cuts the decompressed stream into chunks of whole lines (at most
  `chunk_bytes` of text or `chunk_lines` lines) and numbers the lines from 1;
* strips the line terminator (`\\n` or `\\r\\n`) and nothing else;
* removes a UTF-8 byte-order mark at the start (and says so in `bom`),
  decodes UTF-16 with a byte-order mark (`encoding`);
* decodes UTF-8 one chunk at a time; a line that is not valid UTF-8 is decoded
  with U+FFFD replacement characters and its original bytes are kept, so the
  case can always show what the file really said;
* cuts a line longer than `max_line_bytes`: the chunk holds its first MiB and
  `Chunk.overlong` its full length and the SHA-256 of all its bytes (the
  engine makes it a reject);
* on a damaged or truncated compressed stream keeps every byte the
  decompressor produced before the damage, stops there, names the stored
  offset of the damage (`truncation_reason`), and says from which line on
  the lines are not verified by a checksum (`unverified_from_line`).

Verification: bzip2 checks each block (up to 900 kB) and xz each block with
its own checksum, gzip only each member as a whole, at its end.  The reader
feeds the decompressor up to each block boundary (found by the bzip2 block
magic, by the xz index) and notes how many lines were complete when the
decompressor had verified everything before it.  When the stream later fails
its check or ends early, the lines from there on were never verified: they
may hold bytes that the damage invented, and are marked so.
"""

from __future__ import annotations

import bz2
import codecs
import contextlib
import hashlib
import lzma
import os
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

# Stored bytes read from the file at once.
_INPUT_BLOCK = 1 << 20
# Stored bytes handed to the decompressor at once (zlib copies what it did not
# consume, so the pieces stay small).
_FEED = 64 << 10
# Decompressed bytes one decompressor call may return (`max_length`).
_STEP = 256 << 10
# Format detection looks at no more of a line than this.
_HEAD_LINE_CHARS = 64 << 10
# Of an overlong line, this much is kept (the rest only counted and hashed).
OVERLONG_KEEP = 1 << 20

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

_INNER_BLANK_LINE_BYTES = re.compile(rb"\n[ \t\r\f\v]*\n")


def has_blank_line_bytes(data: bytes) -> bool:
    """`has_blank_line` on UTF-8 bytes whose lines end in "\\n" or "\\r\\n" (the CR is
    in the blank set, so a CRLF terminator never hides or invents a blank line)."""
    first_end = data.find(b"\n")
    first = data if first_end < 0 else data[:first_end]
    last = data[data.rfind(b"\n") + 1:]
    return (not first.strip(b" \t\r\f\v") or not last.strip(b" \t\r\f\v")
            or _INNER_BLANK_LINE_BYTES.search(data) is not None)


_MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bz2"),
    (b"\xfd7zXZ\x00", "xz"),
)
_KIND_NAMES = {"gzip": "gzip", "bz2": "bzip2", "xz": "xz"}


def sniff_compression(path: str | Path) -> str | None:
    """`gzip`, `bz2`, `xz` or None (plain), from the file's first bytes."""
    with open(path, "rb") as fh:
        head = fh.read(6)
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return None


@dataclass
class Overlong:
    """A line longer than the limit: what is known of all its bytes."""

    length: int
    sha256: str


class Chunk:
    """Consecutive lines of the file.

    The lines exist in two forms, each built only when asked for: Arrow
    buffers cut from the chunk's bytes by their newline offsets (`buffers`,
    `arrow_table`: no Python object per line; what the vectorised formats
    hand to DuckDB), and `lines`, a list of Python strings (for the formats
    that parse in Python, and the tests).  Both say the same: the line without
    its terminator (`\\n` or `\\r\\n`), invalid UTF-8 decoded with U+FFFD.

    Attributes:
        first_line_no: 1-based number of the chunk's first line in the
            decompressed file.
        count: how many lines (`len(chunk)`).
        invalid: index -> original bytes, for lines that were not valid UTF-8.
        maybe_blank: False when no line can be blank (found by one regex
            search over the chunk's bytes, done only for the Python form;
            None until then), so that form need not look line by line.
        overlong: index -> length and SHA-256 of a line longer than the
            limit; the chunk holds its first MiB only.
        all_blank: every line is blank: nothing to parse (lines are then "").
    """

    __slots__ = ("first_line_no", "count", "invalid", "maybe_blank", "overlong", "all_blank",
                 "_data", "_lines", "_buffers")

    def __init__(self, first_line_no: int, lines: list[str] | None = None,
                 invalid: dict[int, bytes] | None = None, maybe_blank: bool = True,
                 overlong: dict[int, Overlong] | None = None, all_blank: bool = False, *,
                 data: bytes | None = None, count: int | None = None):
        if lines is None and data is None:
            raise ValueError("a Chunk needs its lines or its bytes")
        self.first_line_no = first_line_no
        self.count = len(lines) if lines is not None else int(count)
        self.invalid = invalid if invalid is not None else {}
        self.maybe_blank = maybe_blank
        self.overlong = overlong if overlong is not None else {}
        self.all_blank = all_blank
        self._data = data          # valid UTF-8, the lines joined by their terminators
        self._lines = lines
        self._buffers = None

    def __len__(self) -> int:
        return self.count

    @property
    def lines(self) -> list[str]:
        """The lines as Python strings (built on first use, then kept)."""
        if self._lines is None:
            if self.all_blank:
                self._lines = [""] * self.count
            else:
                text = self._data.decode("utf-8")
                if "\r" in text:
                    text = text.replace("\r\n", "\n")
                    if text.endswith("\r"):
                        text = text[:-1]
                self._lines = text.split("\n")
        return self._lines

    @property
    def buffers(self):
        """(offsets, values): the lines in Arrow's string layout, as numpy arrays.

        Line i is `values[offsets[i]:offsets[i + 1]]` (UTF-8); offsets are
        int32, or int64 when the values reach 2 GiB (Arrow's large string).
        """
        if self._buffers is None:
            if self._data is not None and not self.all_blank:
                self._buffers = _cut_lines(self._data, self.count)
            else:
                self._buffers = _pack_lines(self.lines)
        return self._buffers

    def line(self, index: int) -> str:
        """One line as a Python string (without building the others)."""
        if self._lines is not None:
            return self._lines[index]
        offsets, values = self.buffers
        return values[offsets[index]:offsets[index + 1]].tobytes().decode("utf-8")

    def line_numbers(self):
        """The lines' numbers in the file, as a numpy int64 array."""
        import numpy as np

        return np.arange(self.first_line_no, self.first_line_no + self.count, dtype=np.int64)

    def parse_mask(self):
        """numpy bool array: the lines a format is given (not blank, not overlong)."""
        import numpy as np

        if self.all_blank:
            return np.zeros(self.count, dtype=bool)
        from_lines = self._lines is not None and (self._buffers is None or self._data is None)
        if from_lines and self.maybe_blank is None:
            self.maybe_blank = has_blank_line_bytes(self._data)
        if from_lines and not self.maybe_blank:
            mask = np.ones(self.count, dtype=bool)
        elif from_lines:
            mask = np.fromiter((bool(line.strip(_BLANK_CHARS)) for line in self._lines), dtype=bool,
                               count=self.count)
        else:
            # Only a line that is empty or starts with a blank character can be
            # blank: look at those alone.
            offsets, values = self.buffers
            starts, lengths = offsets[:-1], np.diff(offsets)
            first = values[np.minimum(starts, max(len(values) - 1, 0))] if len(values) else \
                np.zeros(self.count, dtype=np.uint8)
            candidates = np.flatnonzero((lengths == 0) | np.isin(first, _BLANK_BYTES))
            mask = np.ones(self.count, dtype=bool)
            for i in candidates.tolist():
                if not values[offsets[i]:offsets[i + 1]].tobytes().strip(_BLANK_CHARS_BYTES):
                    mask[i] = False
        if self.overlong:
            mask[list(self.overlong)] = False
        return mask

    def arrow_table(self, keep=None, batch_rows: int = 16_384) -> "ArrowLines":
        """The lines as an Arrow table `(line_no BIGINT, line VARCHAR)` for DuckDB.

        Args:
            keep: numpy bool array: only these lines (None: all).
            batch_rows: rows per record batch; DuckDB scans the batches of one
                stream on several threads.
        """
        offsets, values = self.buffers
        return ArrowLines(self.line_numbers(), offsets, values, keep, batch_rows)

    def arrow_lines(self) -> list[str]:
        """The Arrow form read back as Python strings (tests compare it with `lines`)."""
        import nanoarrow as na

        offsets, values = self.buffers
        kind = na.large_string() if offsets.dtype.itemsize == 8 else na.string()
        return na.Array(na.c_array_from_buffers(kind, self.count, [None, offsets, values])).to_pylist()


class ArrowLines:
    """Numbered lines as an Arrow C stream (`__arrow_c_stream__`) of record
    batches `(line_no int64, line utf8)`: DuckDB scans it by name, each batch
    on whichever thread is free.  The batches share the chunk's buffers
    (nothing is copied); a line left out by `keep` is absent from the stream.
    """

    def __init__(self, line_nos, offsets, values, keep, batch_rows: int):
        self.line_nos, self.offsets, self.values = line_nos, offsets, values
        self.keep = keep
        self.batch_rows = batch_rows
        self.rows = len(line_nos) if keep is None else int(keep.sum())

    def _arrays(self):
        import nanoarrow as na
        import numpy as np

        kind = na.large_string() if self.offsets.dtype.itemsize == 8 else na.string()
        schema = na.struct({"line_no": na.int64(), "line": kind}, nullable=False)
        if self.keep is None or self.keep.all():
            line_nos, offsets, values = self.line_nos, self.offsets, self.values
        else:
            # Compact the kept lines (the rare chunk with blank lines or rejects).
            index = np.flatnonzero(self.keep)
            starts, ends = self.offsets[index], self.offsets[index + 1]
            lengths = ends - starts
            offsets = np.zeros(len(index) + 1, dtype=self.offsets.dtype)
            np.cumsum(lengths, out=offsets[1:])
            pieces = [self.values[a:b] for a, b in zip(starts.tolist(), ends.tolist())]
            values = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.uint8)
            line_nos = self.line_nos[index]
        batches = []
        for at in range(0, len(line_nos), self.batch_rows):
            rows = min(self.batch_rows, len(line_nos) - at)
            # Offsets stay absolute into the shared values buffer.
            text = na.c_array_from_buffers(kind, rows, [None, offsets[at:at + rows + 1], values])
            numbers = na.c_array_from_buffers(na.int64(), rows, [None, line_nos[at:at + rows]])
            batches.append(na.c_array_from_buffers(schema, rows, [None], children=[numbers, text]))
        return schema, batches

    def batches(self) -> list:
        """The record batches (nanoarrow arrays), for a `BatchStream`."""
        return self._arrays()[1]

    def __arrow_c_stream__(self, requested_schema=None):
        import nanoarrow as na
        from nanoarrow._array_stream import CArrayStream

        schema, batches = self._arrays()
        stream = CArrayStream.from_c_arrays(batches, na.c_schema(schema), validate=False)
        return stream.__arrow_c_stream__(requested_schema)


class BatchStream:
    """Record batches `(line_no int64, line utf8)` pulled from a Python iterator
    while DuckDB scans them: an Arrow C stream (`__arrow_c_stream__`) whose
    `get_next` asks the iterator for the next batch.

    One INSERT can so read a whole file chunk by chunk, with only the chunks
    in flight in memory (DuckDB writes the rows into full row groups as they
    come; an INSERT per chunk leaves partial row groups that are merged and
    compressed again).  DuckDB opens the stream twice (once for the schema
    when it binds the statement, once to scan it); only the streams that are
    read advance the iterator.  An exception of the iterator ends the scan
    with an error and is kept in `error` for the caller to raise; so does
    `interrupted` (set by the caller's Ctrl-C handler, `interrupts_end`).

    Args:
        batches: yields nanoarrow arrays of the schema below.
        large: the lines are Arrow large strings (int64 offsets).
    """

    def __init__(self, batches: Iterator, large: bool = False):
        import nanoarrow as na

        self._batches = batches
        kind = na.large_string() if large else na.string()
        self.schema = na.struct({"line_no": na.int64(), "line": kind}, nullable=False)
        self.error: BaseException | None = None
        self.interrupted = False      # Ctrl-C while DuckDB reads: the next batch is an error
        self.rows = 0                 # lines handed to DuckDB
        self._keep = []               # the C structs and callbacks of the streams handed out

    def __arrow_c_stream__(self, requested_schema=None):
        import ctypes

        import nanoarrow as na

        capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
        capsule_pointer.restype = ctypes.c_void_p
        capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
        schema = na.c_schema(self.schema)
        owner = self
        state = {"message": b""}

        def move(capsule, name: bytes, out, size: int, release_at: int) -> None:
            # Move the C struct out of the capsule: copy it, then mark the
            # capsule's copy released so that its destructor leaves it alone.
            source = capsule_pointer(capsule, name)
            ctypes.memmove(out, source, size)
            ctypes.c_void_p.from_address(source + release_at).value = None

        def get_schema(_stream, out):
            try:
                move(schema.__arrow_c_schema__(), b"arrow_schema", out, _SCHEMA_SIZE, _SCHEMA_RELEASE_AT)
                return 0
            except BaseException as exc:  # noqa: BLE001 - reported through the C interface
                state["message"] = f"{type(exc).__name__}: {exc}".encode()
                return 5  # EIO

        def get_next(_stream, out):
            try:
                if owner.interrupted:
                    raise KeyboardInterrupt
                batch = next(owner._batches, None)
                if batch is None:
                    ctypes.memset(out, 0, _ARRAY_SIZE)   # release NULL: the end of the stream
                    return 0
                owner.rows += batch.length
                move(batch.__arrow_c_array__()[1], b"arrow_array", out, _ARRAY_SIZE, _ARRAY_RELEASE_AT)
                return 0
            except BaseException as exc:  # noqa: BLE001 - kept for the caller, DuckDB sees an error
                owner.error = exc
                state["message"] = f"{type(exc).__name__}: {exc}".encode()
                return 5  # EIO

        def get_last_error(_stream):
            return ctypes.cast(ctypes.c_char_p(state["message"]), ctypes.c_void_p).value

        def release(stream):
            ctypes.c_void_p.from_address(stream + _STREAM_RELEASE_AT).value = None

        callbacks = (_GET_SCHEMA(get_schema), _GET_NEXT(get_next), _GET_ERROR(get_last_error),
                     _RELEASE(release))
        stream = _ArrowArrayStream(*(ctypes.cast(f, ctypes.c_void_p).value for f in callbacks), None)
        capsule_new = ctypes.pythonapi.PyCapsule_New
        capsule_new.restype = ctypes.py_object
        capsule_new.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
        self._keep.append((stream, callbacks, state, schema))
        return capsule_new(ctypes.addressof(stream), b"arrow_array_stream", None)


@contextlib.contextmanager
def interrupts_end(stream: BatchStream):
    """Ctrl-C while DuckDB reads `stream` ends the stream with KeyboardInterrupt.

    Python runs a signal handler in the main thread, which DuckDB also uses to
    run the stream's callbacks; a KeyboardInterrupt raised there would be lost
    in the C callback.  So the handler only marks the stream, whose next batch
    is then an error, and KeyboardInterrupt is raised here, in the caller.
    (Only in the main thread and only over Python's own handler: a program
    with a handler of its own keeps it.)
    """
    import signal
    import threading

    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return

    def mark(_signum, _frame) -> None:
        stream.interrupted = True

    previous = signal.signal(signal.SIGINT, mark)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if stream.interrupted:
        raise KeyboardInterrupt


def _arrow_stream_types():
    import ctypes

    class ArrowArrayStream(ctypes.Structure):
        _fields_ = [("get_schema", ctypes.c_void_p), ("get_next", ctypes.c_void_p),
                    ("get_last_error", ctypes.c_void_p), ("release", ctypes.c_void_p),
                    ("private_data", ctypes.c_void_p)]

    pointer = ctypes.c_void_p
    return (ArrowArrayStream,
            ctypes.CFUNCTYPE(ctypes.c_int, pointer, pointer), ctypes.CFUNCTYPE(ctypes.c_int, pointer, pointer),
            ctypes.CFUNCTYPE(ctypes.c_void_p, pointer), ctypes.CFUNCTYPE(None, pointer))


# The Arrow C data interface's structs (64-bit): ArrowSchema is 9 pointers
# (release the 8th), ArrowArray 10 (release the 9th), ArrowArrayStream 5 (release the 4th).
_SCHEMA_SIZE, _SCHEMA_RELEASE_AT = 72, 56
_ARRAY_SIZE, _ARRAY_RELEASE_AT = 80, 64
_STREAM_RELEASE_AT = 24
_ArrowArrayStream, _GET_SCHEMA, _GET_NEXT, _GET_ERROR, _RELEASE = _arrow_stream_types()


_BLANK_CHARS_BYTES = _BLANK_CHARS.encode("ascii")
_BLANK_BYTES = list(_BLANK_CHARS_BYTES)


def _cut_lines(data: bytes, count: int):
    """Arrow string buffers (offsets, values) of the lines of `data` (valid UTF-8,
    lines joined by `\\n` or `\\r\\n`), cut by numpy at the newlines: one copy of
    the bytes without their terminators, no Python object per line."""
    import numpy as np

    buf = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buf == 10)
    if len(newlines) + 1 != count:
        raise AssertionError(f"chunk of {count} lines has {len(newlines)} newlines")
    ends = np.empty(count, dtype=np.int64)
    ends[:-1] = newlines
    ends[-1] = len(buf)
    if b"\r" in data:
        # One CR right before a line's end belongs to its terminator.
        starts = np.empty(count, dtype=np.int64)
        starts[0] = 0
        starts[1:] = newlines + 1
        filled = ends > starts
        cr = np.zeros(count, dtype=bool)
        cr[filled] = buf[ends[filled] - 1] == 13
        keep = np.ones(len(buf), dtype=bool)
        keep[newlines] = False
        keep[ends[cr] - 1] = False
        values = buf[keep]
        lengths = ends - starts - cr
    else:
        values = np.frombuffer(data.replace(b"\n", b""), dtype=np.uint8)
        lengths = np.diff(ends, prepend=-1) - 1
    large = len(values) >= (1 << 31) - 1
    offsets = np.zeros(count + 1, dtype=np.int64 if large else np.int32)
    np.cumsum(lengths, out=offsets[1:])
    return offsets, values


def _pack_lines(lines: list[str]):
    """Arrow string buffers (offsets, values) of Python strings (the rare chunk with invalid UTF-8)."""
    import numpy as np

    encoded = [line.encode("utf-8") for line in lines]
    values = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    large = len(values) >= (1 << 31) - 1
    offsets = np.zeros(len(lines) + 1, dtype=np.int64 if large else np.int32)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    return offsets, values


class _Verified:
    """In-band marker of the decompressed stream: everything before it passed its check."""


VERIFIED = _Verified()


class _Damage(Exception):
    """The compressed stream cannot be read on; the message names where and why."""


def _new_decompressor(kind: str):
    if kind == "gzip":
        return zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    if kind == "bz2":
        return bz2.BZ2Decompressor()
    return lzma.LZMADecompressor(format=lzma.FORMAT_XZ)


_DECOMPRESS_ERRORS = (zlib.error, OSError, lzma.LZMAError, EOFError, ValueError)


class _Stepper:
    """One decompressor, called with a cap on its output per call."""

    def __init__(self, kind: str):
        self.kind = kind
        self.d = _new_decompressor(kind)
        self._tail = b""          # zlib: input it has not consumed yet
        self._full = False        # the last call returned as much as it was allowed
        self._gave = False        # the last call returned something

    def call(self, data: bytes, max_length: int) -> bytes:
        if self.kind == "gzip":
            out = self.d.decompress(self._tail + data if self._tail else data, max_length)
            self._tail = self.d.unconsumed_tail
        else:
            out = self.d.decompress(data, max_length)
        self._full = len(out) >= max_length
        self._gave = bool(out)
        return out

    @property
    def eof(self) -> bool:
        return self.d.eof

    @property
    def more(self) -> bool:
        """Whether a call without new input may still give output."""
        if self.d.eof:
            return False
        if self.kind == "gzip":
            return bool(self._tail) or self._full
        # CPython's bz2 sets needs_input once all input is taken in, and may
        # return (32 KiB) before the output is complete: ask until it gives nothing.
        return not self.d.needs_input or self._gave

    @property
    def unused_data(self) -> bytes:
        return self.d.unused_data


def _bz2_magic_patterns(magic: int) -> list[tuple[int, bytes, int, int, int, int]]:
    """For each bit shift s of a 48-bit magic: (s, whole bytes, first-byte mask and
    value, last-byte mask and value), to find it with bytes.find."""
    patterns = []
    for s in range(8):
        if s == 0:
            patterns.append((0, magic.to_bytes(6, "big"), 0, 0, 0, 0))
            continue
        window = (magic << (8 - s)).to_bytes(7, "big")
        first_mask = (1 << (8 - s)) - 1
        last_mask = (0xFF << (8 - s)) & 0xFF
        patterns.append((s, window[1:6], first_mask, window[0] & first_mask, last_mask, window[6] & last_mask))
    return patterns


_BZ2_BLOCK = _bz2_magic_patterns(0x314159265359)
_BZ2_END = _bz2_magic_patterns(0x177245385090)


def _bz2_magic_bits(data: bytes, base: int, patterns) -> list[int]:
    """Bit positions (absolute: `base` is the stored offset of data[0]) of a bzip2 magic."""
    found = []
    for s, whole, fmask, fval, lmask, lval in patterns:
        start = 0 if s == 0 else 1
        pos = data.find(whole, start)
        while pos >= 0:
            if s == 0:
                found.append((base + pos) * 8)
            elif pos + 5 < len(data) and (data[pos - 1] & fmask) == fval and (data[pos + 5] & lmask) == lval:
                found.append((base + pos - 1) * 8 + s)
            pos = data.find(whole, pos + 1)
    return found


def _xz_block_ends(path: Path, size: int) -> list[int] | None:
    """Stored offsets where the blocks of a single-stream .xz end, from its index.

    None when the footer or index cannot be read (a cut file): then only the
    end of the stream verifies anything.
    """
    try:
        with open(path, "rb") as fh:
            # Stream padding (zeros, a multiple of four) may follow the footer.
            tail_len = min(size, 1 << 16)
            fh.seek(size - tail_len)
            tail = fh.read(tail_len)
            end = len(tail.rstrip(b"\x00"))
            end += (-end) % 4 if end % 4 else 0
            footer = tail[end - 12:end]
            if len(footer) != 12 or footer[10:12] != b"YZ":
                return None
            if zlib.crc32(footer[4:10]) != int.from_bytes(footer[0:4], "little"):
                return None
            index_size = (int.from_bytes(footer[4:8], "little") + 1) * 4
            footer_at = size - tail_len + end - 12
            fh.seek(footer_at - index_size)
            index = fh.read(index_size)
    except OSError:
        return None
    if len(index) != index_size or index[0] != 0 or \
            zlib.crc32(index[:-4]) != int.from_bytes(index[-4:], "little"):
        return None

    pos = 1

    def varint() -> int:
        nonlocal pos
        value, shift = 0, 0
        while True:
            byte = index[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
            shift += 7

    try:
        records = varint()
        ends, offset = [], 12        # blocks start after the 12-byte stream header
        for _ in range(records):
            unpadded = varint()
            varint()                 # uncompressed size
            offset += unpadded + (-unpadded) % 4
            ends.append(offset)
    except IndexError:
        return None
    if offset != footer_at - index_size:
        return None                  # several streams, or an index that does not add up
    return ends


class SourceReader:
    """One input file, read once.

    Args:
        path: the file as given by the user.
        chunk_bytes: approximate size of the decompressed text per chunk.
        chunk_lines: most lines per chunk (a file of newlines stays small per chunk).
        max_line_bytes: a longer line is cut to its first MiB and described in
            `Chunk.overlong` (length, SHA-256 of all its bytes).

    After `chunks()` is exhausted these are final: `sha256` and `bytes_read`
    (the stored bytes, hashed and counted in one read), `content_sha256` (the
    decompressed bytes), `truncated` and `truncation_reason` (damage, with
    its stored offset), `unverified_from_line`, `cut_line`, `bom`, `encoding` and
    `changed` (the file was written to while it was read).
    """

    def __init__(self, path: str | Path, chunk_bytes: int = 16 << 20, *, chunk_lines: int = 1 << 18,
                 max_line_bytes: int = 64 << 20):
        self.path = Path(path)
        self.chunk_bytes = chunk_bytes
        self.chunk_lines = chunk_lines
        # Small chunks (tests) need small reads and steps to be cut small.
        self._read = min(_INPUT_BLOCK, max(chunk_bytes, 1024))
        self._step = min(_STEP, max(chunk_bytes, 1024))
        self.max_line_bytes = max(max_line_bytes, OVERLONG_KEEP)
        self.compression = sniff_compression(self.path)
        stat = self.path.stat()
        self.size_bytes = stat.st_size          # at the start; `bytes_read` is what was hashed
        self.mtime = stat.st_mtime
        self._stat_key = (stat.st_size, stat.st_mtime_ns)
        self.truncated = False
        self.truncation_reason: str | None = None
        self.damage_offset: int | None = None   # stored byte where the damage was found
        self.unverified_from_line: int | None = None
        self.cut_line: int | None = None        # the last line, cut short by the damage
        self.bom: str | None = None             # "UTF-8" when a byte-order mark was removed
        self.encoding = "UTF-8"
        self.changed = False
        self.bytes_read = 0          # stored (compressed) bytes consumed so far
        self.content_bytes = 0       # decompressed bytes
        self._hash = hashlib.sha256()
        self._content_hash = hashlib.sha256()
        self._done = False

    @property
    def sha256(self) -> str:
        if not self._done:
            raise RuntimeError("sha256 is known only after the whole file was read")
        return self._hash.hexdigest()

    @property
    def content_sha256(self) -> str:
        """SHA-256 of the decompressed content (of the stored bytes for a plain file)."""
        if not self._done:
            raise RuntimeError("content_sha256 is known only after the whole file was read")
        if self.compression is None:
            return self._hash.hexdigest()   # the content is the stored bytes: hashed once
        return self._content_hash.hexdigest()

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
            after = os.fstat(fh.fileno())
        # Size and hash come from this one read; a file written to meanwhile
        # has no single size and hash, and the caller must not pretend it has.
        self.changed = (self.bytes_read != self._stat_key[0]
                        or (after.st_size, after.st_mtime_ns) != self._stat_key)
        self._done = True

    def _mark_truncated(self, reason: str, offset: int | None = None) -> None:
        self.truncated = True
        self.truncation_reason = reason
        self.damage_offset = offset

    def _decompressed(self) -> Iterator[bytes | _Verified]:
        """The content, decompressed, with VERIFIED markers; stops (and records why) at damage."""
        if self.compression is None:
            for block in self._stored_blocks(self._read):
                self.content_bytes += len(block)
                yield block
            return
        for item in self._decompress():
            if item is not VERIFIED:
                self._content_hash.update(item)
                self.content_bytes += len(item)
            yield item

    def _decompress(self) -> Iterator[bytes | _Verified]:
        kind = self.compression
        name = _KIND_NAMES[kind]
        # xz verifies per block: feed up to each block's end.  bzip2 checks a
        # block before it writes anything of the next one, so every point where
        # the decompressor waits for input is a verified one.  gzip checks a
        # member at its end only.
        checkpoints = _xz_block_ends(self.path, self.size_bytes) if kind == "xz" else None
        checkpoints = sorted(checkpoints or [])
        cp_i = 0
        block_starts: list[int] = []   # bzip2: stored offsets of block magics (for messages)
        scan_tail = b""
        stepper: _Stepper | None = None
        stream_start = 0        # stored offset where the current member/stream began
        stream_out = 0          # its output so far
        offset = 0              # stored bytes handed to the decompressor (absolute)
        seen_stream = False     # a whole stream ended (trailing bytes after it are not data)
        blocks = self._stored_blocks(_INPUT_BLOCK)
        for block in blocks:
            if kind == "bz2":
                base = offset - len(scan_tail)
                found = sorted(set(bit // 8 for bit in _bz2_magic_bits(scan_tail + block, base, _BZ2_BLOCK)
                                   if not block_starts or bit // 8 > block_starts[-1]))
                block_starts.extend(found)
                # Pieces end just past each block's start: an error in a piece
                # then belongs to the block that was being read when it began.
                checkpoints.extend(start + 1 for start in found if start + 1 > offset)
                scan_tail = block[-7:]
            pos = 0
            while pos < len(block):
                end = min(pos + _FEED, len(block))
                while cp_i < len(checkpoints) and checkpoints[cp_i] <= offset:
                    cp_i += 1
                at_checkpoint = False
                if cp_i < len(checkpoints) and checkpoints[cp_i] <= offset + (end - pos):
                    end = pos + (checkpoints[cp_i] - offset)
                    at_checkpoint = True
                data = block[pos:end]
                piece_start = offset
                offset += end - pos
                pos = end
                while data or (stepper is not None and stepper.more):
                    if stepper is None:
                        if seen_stream:
                            data = data.lstrip(b"\x00")   # padding between or after streams
                            if not data:
                                break
                        stepper = _Stepper(kind)
                        stream_start = offset - len(data)
                        stream_out = 0
                    try:
                        out = stepper.call(data, self._step)
                    except _DECOMPRESS_ERRORS as exc:
                        if stream_out == 0 and seen_stream:
                            self._mark_truncated(
                                f"the file holds {self.size_bytes - stream_start:,} byte(s) after the end of "
                                f"its last {name} stream at stored byte {stream_start:,} that are not "
                                f"{name} data ({exc}); every line before them was verified", stream_start)
                            self._drain(blocks)
                            return
                        recovered, detected = self._recover(kind, stream_start, stream_out, offset)
                        if recovered:
                            yield recovered
                        self._mark_truncated(self._damage_sentence(
                            kind, exc, stream_start, piece_start, detected or offset, block_starts, checkpoints),
                            detected or piece_start)
                        self._drain(blocks)
                        return
                    data = b""
                    if out:
                        stream_out += len(out)
                        yield out
                    if stepper.eof:
                        yield VERIFIED      # the member's or stream's own check passed
                        data = stepper.unused_data
                        stepper = None
                        seen_stream = True
                if at_checkpoint and stepper is not None and not stepper.more:
                    yield VERIFIED
                if kind == "bz2" and stepper is not None and not stepper.more:
                    yield VERIFIED
        if stepper is not None and not stepper.eof and (stream_out or offset > stream_start):
            self._mark_truncated(f"{name} stream ends before its end-of-stream marker "
                                 f"(file cut short at {self.bytes_read:,} bytes; the last "
                                 f"{'member' if kind == 'gzip' else 'stream'} began at stored byte "
                                 f"{stream_start:,})", self.bytes_read)

    @staticmethod
    def _drain(blocks: Iterator[bytes]) -> None:
        for _ in blocks:   # keep hashing the file's bytes
            pass

    def _recover(self, kind: str, stream_start: int, out_before: int, input_end: int) -> tuple[bytes, int | None]:
        """What the failing call decompressed before the error, one byte per call,
        and the stored offset where the error showed (None if it did not again).

        A decompressor that fails drops the output of the call that failed;
        the stream is decompressed again from its start up to that call, then
        byte by byte until the error.  Bounded by one step (`_STEP`).
        """
        stepper = _Stepper(kind)
        done = 0
        recovered = bytearray()
        small = 256 if kind == "gzip" else 4096
        with open(self.path, "rb") as fh:
            fh.seek(stream_start)
            remaining = input_end - stream_start

            def next_input(size: int) -> bytes:
                nonlocal remaining
                piece = fh.read(min(size, remaining)) if remaining > 0 else b""
                remaining -= len(piece)
                return piece

            def position() -> int:
                # bzip2 and xz buffer their input inside: only zlib says what it did not use
                return input_end - remaining - len(stepper._tail)

            try:
                while done < out_before:
                    data = b"" if stepper.more else next_input(_FEED)
                    if not data and not stepper.more:
                        return bytes(recovered), None
                    done += len(stepper.call(data, min(self._step, out_before - done)))
                    while done < out_before and stepper.more:
                        done += len(stepper.call(b"", min(self._step, out_before - done)))
                while len(recovered) < self._step and not stepper.eof:
                    data = b"" if stepper.more else next_input(small)
                    if not data and not stepper.more:
                        break
                    recovered += stepper.call(data, 1)
            except _DECOMPRESS_ERRORS:
                return bytes(recovered), position()
        return bytes(recovered), None

    def _damage_sentence(self, kind, exc, stream_start, piece_start, piece_end, block_starts, checkpoints) -> str:
        name = _KIND_NAMES[kind]
        if kind == "bz2":
            before = [b for b in block_starts if b < piece_start]
            start = before[-1] if before else (block_starts[0] if block_starts else stream_start)
            after = [b for b in block_starts if b > start]
            span = f"stored bytes {start:,} to {after[0]:,}" if after else f"stored byte {start:,}"
            return (f"bzip2 block {block_starts.index(start) + 1 if start in block_starts else '?'} at {span} "
                    f"is damaged ({exc}); every block before it passed its CRC")
        if kind == "xz" and checkpoints:
            starts = [12] + checkpoints[:-1]
            block_no = next((i for i, end in enumerate(checkpoints) if end > piece_start), len(checkpoints) - 1)
            return (f"xz block {block_no + 1} of {len(checkpoints)} at stored bytes {starts[block_no]:,} to "
                    f"{checkpoints[block_no]:,} is damaged ({exc}); every block before it passed its check")
        if kind == "xz":
            return (f"xz stream starting at stored byte {stream_start:,} is damaged ({exc}), detected "
                    f"by stored byte {piece_end:,} of {self.size_bytes:,}; its one block is checked only at its end")
        return (f"gzip member starting at stored byte {stream_start:,} is damaged ({exc}), detected "
                f"at stored byte {piece_end:,} of {self.size_bytes:,}; gzip checks a member only at its end, "
                f"so the damage may lie anywhere before")

    # -- text ------------------------------------------------------------
    def _text_bytes(self) -> Iterator[bytes | _Verified]:
        """The decompressed content as UTF-8 bytes: a UTF-8 BOM removed, UTF-16 decoded."""
        items = self._decompressed()
        head = b""
        for item in items:
            if item is VERIFIED:
                if head:
                    break
                yield item
                continue
            head += item
            if len(head) >= 4:
                break
        else:
            if not head:
                return
        rest: Iterator = items
        if head.startswith(b"\xef\xbb\xbf"):
            self.bom = "UTF-8"
            head = head[3:]
        elif head.startswith((b"\xff\xfe", b"\xfe\xff")):
            self.encoding = "UTF-16-LE" if head.startswith(b"\xff\xfe") else "UTF-16-BE"
            self.bom = self.encoding
            yield from self._from_utf16(head, rest)
            return
        if head:
            yield head
        yield from rest

    def _from_utf16(self, head: bytes, rest: Iterator) -> Iterator[bytes | _Verified]:
        decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
        text = decoder.decode(head)
        if text:
            yield text.encode("utf-8")
        for item in rest:
            if item is VERIFIED:
                yield item
                continue
            text = decoder.decode(item)
            if text:
                yield text.encode("utf-8")
        text = decoder.decode(b"", final=True)
        if text:
            yield text.encode("utf-8")

    # -- lines -----------------------------------------------------------
    def chunks(self) -> Iterator[Chunk]:
        """Chunks of numbered, decoded lines, in file order."""
        line_no = 1                      # number of the chunk's first line
        parts: list[bytes] = []          # whole lines, each ending in b"\n"
        body_len = 0
        body_lines = 0
        overlong: dict[int, Overlong] = {}
        pending = bytearray()            # the line begun but not ended
        long_hash = None                 # hashing an overlong line (its head is in long_head)
        long_head = b""
        long_len = 0
        verified_lines = 0               # complete lines when everything before was verified
        since_verified = False

        def flush(final_tail: bytes | None = None) -> Chunk | None:
            nonlocal parts, body_len, body_lines, overlong, line_no
            if not parts and final_tail is None:
                return None
            # Every part ends in its newline (counted as it came); the tail has none.
            # One copy of the chunk's bytes: the tail joined with the parts, or the
            # last part's newline left out of the join (not cut from the result).
            if final_tail is not None:
                parts.append(final_tail)
            else:
                parts[-1] = memoryview(parts[-1])[:-1]
            data = b"".join(parts)
            chunk = _decode_lines(data, line_no, body_lines + (final_tail is not None))
            chunk.overlong = overlong
            line_no += chunk.count
            parts, body_len, body_lines, overlong = [], 0, 0, {}
            return chunk

        def complete_long(last: bytes) -> None:
            nonlocal long_hash, long_head, long_len, body_len, body_lines
            long_hash.update(last)
            long_len += len(last)
            overlong[body_lines] = Overlong(long_len, long_hash.hexdigest())
            parts.append(long_head + b"\n")
            body_len += len(long_head) + 1
            body_lines += 1
            long_hash, long_head, long_len = None, b"", 0

        def start_long(data: bytes) -> None:
            nonlocal long_hash, long_head, long_len
            long_hash = hashlib.sha256(data)
            long_head = _cut_utf8(data[:OVERLONG_KEEP])
            long_len = len(data)

        for block in self._text_bytes():
            if block is VERIFIED:
                verified_lines = line_no - 1 + body_lines
                since_verified = False
                continue
            since_verified = True
            pos = 0
            if long_hash is not None:
                nl = block.find(b"\n")
                if nl < 0:
                    long_hash.update(block)
                    long_len += len(block)
                    continue
                complete_long(block[:nl])
                pos = nl + 1
            last = block.rfind(b"\n", pos)
            if last < 0:
                pending += block[pos:]
                if len(pending) > self.max_line_bytes:
                    start_long(bytes(pending))
                    pending = bytearray()
                continue
            first = block.find(b"\n", pos)
            pending += block[pos:first]
            if len(pending) > self.max_line_bytes:
                start_long(bytes(pending))
                complete_long(b"")
            else:
                pending += b"\n"
                parts.append(bytes(pending))
                body_len += len(pending)
                body_lines += 1
            if last > first:
                whole = memoryview(block)[first + 1:last + 1]   # joined in flush(): not copied here
                parts.append(whole)
                body_len += len(whole)
                body_lines += _count_newlines(whole)
            pending = bytearray(block[last + 1:])
            if body_len >= self.chunk_bytes or body_lines >= self.chunk_lines:
                chunk = flush()
                if chunk is not None:
                    yield chunk
        if long_hash is not None:
            complete_long(b"")
            tail = None
        else:
            # The last line may lack its newline; it is a line all the same.
            tail = bytes(pending) if pending else None
        chunk = flush(tail)
        if self.truncated and since_verified and self.compression is not None:
            self.unverified_from_line = verified_lines + 1
        if self.truncated and tail is not None:
            self.cut_line = line_no - 1   # the damage ended the file inside this line
        if chunk is not None:
            yield chunk


def _count_newlines(data: bytes) -> int:
    """How many b"\n" `data` holds (numpy: 0.16 ms a MiB where `bytes.count` takes 1.9 ms,
    holding the GIL that DuckDB's reading of the previous chunk needs)."""
    import numpy as np

    return int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == 10))


def _cut_utf8(data: bytes) -> bytes:
    """`data` without a UTF-8 sequence cut at its end."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return data
        if byte >= 0xC0:   # a lead byte: is its sequence complete?
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return data if back >= need else data[:-back]
    return data


def _decode_lines(data: bytes, first_line_no: int, count: int | None = None) -> Chunk:
    """Whole lines (without the final newline) -> a Chunk.

    Valid UTF-8 is checked once for the whole chunk (`isascii` is a fast scan;
    otherwise one strict decode); the lines themselves are cut later, as an
    Arrow array or as Python strings, whichever the format asks for.
    """
    if count is None:
        count = data.count(b"\n") + 1
    if not data.strip(b" \t\r\n\f\v"):
        # Nothing but white space (100 MB of newlines fit in a 100 kB .gz):
        # count the lines, decode nothing.
        return Chunk(first_line_no, data=b"", count=count, all_blank=True)
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return _decode_lines_with_invalid(data, first_line_no)
    return Chunk(first_line_no, data=data, count=count, maybe_blank=None)


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


def head_lines(path: str | Path, max_lines: int = 50, max_bytes: int = 1 << 20, *,
               skip_blank: bool = False, scan_bytes: int = 64 << 20) -> list[str]:
    """The first lines of a file (decompressed, decoded), for format detection.

    With `skip_blank`, leading blank lines are passed over (up to
    `scan_bytes` of them), so that a file that begins with many empty lines
    is still recognised.  A damaged compressed file yields what could be read.
    """
    reader = SourceReader(path, chunk_bytes=max_bytes)
    collected = b""
    scanned = 0
    for block in reader._text_bytes():
        if block is VERIFIED:
            continue
        collected += block
        if skip_blank and not collected.strip(b" \t\r\n\f\v"):
            scanned += len(collected)
            keep = collected.rfind(b"\n") + 1
            collected = collected[keep:]
            if scanned > scan_bytes:
                break
            continue
        if skip_blank:
            first = len(collected) - len(collected.lstrip(b" \t\r\n\f\v"))
            collected = collected[collected.rfind(b"\n", 0, first) + 1:]
            skip_blank = False
        if len(collected) >= max_bytes or collected.count(b"\n") > max_lines:
            break
    text = collected[:max_bytes].decode("utf-8", errors="replace")
    lines = text.replace("\r\n", "\n").split("\n")
    if (len(collected) >= max_bytes or collected.count(b"\n") > max_lines) and len(lines) > 1:
        lines = lines[:-1]  # possibly cut mid-line
    # Detection judges the start of a line; a huge line costs every pattern its length.
    return [line[:_HEAD_LINE_CHARS] for line in lines[:max_lines]]


def damaged_near_start(path: str | Path, max_bytes: int = 1 << 20) -> bool:
    """Whether a compressed file's damage shows within its first `max_bytes` of content."""
    reader = SourceReader(path)
    if reader.compression is None:
        return False
    seen = 0
    for block in reader._decompressed():
        if block is not VERIFIED:
            seen += len(block)
            if seen >= max_bytes:
                return False
    return reader.truncated


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
