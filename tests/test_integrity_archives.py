"""Damaged archives: nothing lost, nothing invented (issue 11, item 2).

A real access log (tests/data/access/elastic-examples/apache_logs, 10,000
lines) is compressed with gzip, bzip2 and xz and then damaged the three ways
archives get damaged: a flipped checksum byte, 64 zeroed bytes in the middle,
a cut.  The ingest must keep every line the standard tool (`zcat`, `bzcat`,
`xzcat`) recovers, store no line as verified whose bytes are not the
original's, flag the lines no checksum confirmed, and name where the damage is.
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import shutil
import subprocess

import pandas as pd
import pytest

from forensics.case import Case
from forensics.ingest.engine import ingest_files
from forensics.ingest.reader import SourceReader, _xz_block_ends

TOOLS = {"gz": "zcat", "bz2": "bzcat", "xz": "xzcat"}


@pytest.fixture(scope="module")
def original(realdata) -> bytes:
    return (realdata / "access" / "elastic-examples" / "apache_logs").read_bytes()


def _packed(kind: str, data: bytes) -> bytes:
    return {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[kind](data)


def _damaged(kind: str, damage: str, packed: bytes, tmp_path) -> tuple[bytes, int]:
    """The damaged bytes and the stored offset of the damage."""
    data = bytearray(packed)
    if damage == "crc":
        # gzip: CRC-32 in the trailer; bzip2: the first block's CRC (after
        # "BZh9" and the 6-byte block magic); xz: the block's CRC-64 check
        at = {"gz": len(data) - 8, "bz2": 10}.get(kind)
        if kind == "xz":
            path = tmp_path / "probe.xz"
            path.write_bytes(packed)
            at = _xz_block_ends(path, len(packed))[0] - 1
        data[at] ^= 0xFF
        return bytes(data), at
    if damage == "zero64":
        at = len(data) // 2
        data[at:at + 64] = bytes(64)
        return bytes(data), at
    at = len(data) * 2 // 3
    return bytes(data[:at]), at


def _tool_lines(kind: str, path) -> list[str]:
    tool = shutil.which(TOOLS[kind])
    if tool is None:
        pytest.skip(f"{TOOLS[kind]} is not installed: it is the reference of what can be recovered")
    run = subprocess.run([tool, str(path)], capture_output=True, timeout=120)
    assert run.returncode != 0, "the damaged file must be damaged for the tool too"
    return run.stdout.decode("utf-8", errors="replace").split("\n")


def _kept(case_path):
    with Case.open(case_path, read_only=True) as case:
        rows = case.sql_df("SELECT line_no, raw, integrity FROM events UNION ALL "
                           "SELECT line_no, raw, integrity FROM rejects ORDER BY line_no")
        source = case.sources().iloc[0]
    rows["integrity"] = rows["integrity"].astype(object)
    rows.loc[rows["integrity"].isna(), "integrity"] = None
    return rows, source


@pytest.mark.parametrize("kind", ["gz", "bz2", "xz"])
@pytest.mark.parametrize("damage", ["crc", "zero64", "cut"])
def test_damaged_archive_keeps_what_the_tool_recovers_and_flags_what_is_unverified(
        kind, damage, original, tmp_path):
    data, at = _damaged(kind, damage, _packed(kind, original), tmp_path)
    path = tmp_path / f"access.log.{kind}"
    path.write_bytes(data)
    recovered = _tool_lines(kind, path)
    complete = recovered[:-1]                     # the tool's last piece may be cut mid-line

    result = ingest_files(tmp_path / "case.duckdb", [path]).results[0]
    assert result.status == "truncated"
    rows, source = _kept(tmp_path / "case.duckdb")
    kept = list(rows.raw)
    # Nothing lost: every complete line the tool recovers is kept, in order, at its number.
    assert kept[:len(complete)] == complete
    assert len(kept) >= len(complete)
    assert list(rows.line_no) == list(range(1, len(kept) + 1))   # no blank lines in this log
    assert source.lines_read == len(kept)

    # Nothing invented as verified: a line without a flag is the original's line.
    original_lines = original.decode("utf-8").split("\n")
    for line_no, raw, integrity in rows.itertuples(index=False):
        if integrity is None:
            assert raw == original_lines[line_no - 1], line_no
        elif integrity == "cut":
            assert original_lines[line_no - 1].startswith(raw) and line_no == len(kept)
        else:
            assert integrity == "unverified" and line_no >= source.unverified_from_line
    # Every kept line's bytes are bytes the decompressor produced from the file.
    tool_text = "\n".join(recovered)
    ours_beyond_tool = kept[len(complete):]
    assert all(raw in tool_text for raw in kept[:len(complete)])
    assert len(ours_beyond_tool) <= 40, "more than a tool's buffer beyond what the tool wrote"

    invented = [line_no for line_no, raw, _ in rows.itertuples(index=False)
                if raw != original_lines[line_no - 1]]
    flagged = set(rows.line_no[rows.integrity.notna()])
    assert set(invented) <= flagged, "a line that is not the original's must be flagged"
    assumptions = json.loads(source.assumptions)
    assert f"The file is damaged: {source.truncation_reason}; " in assumptions[-2 if flagged else -1] or \
        any(a.startswith(f"The file is damaged: {source.truncation_reason}") for a in assumptions)
    if not pd.isna(source.unverified_from_line):
        assert f"Lines {int(source.unverified_from_line):,} to {len(kept):,} were decompressed before the damage" \
            in " ".join(assumptions)


def test_gzip_with_a_flipped_crc_keeps_all_10000_lines_unverified(original, tmp_path):
    data, _ = _damaged("gz", "crc", _packed("gz", original), tmp_path)
    path = tmp_path / "access.log.gz"
    path.write_bytes(data)
    result = ingest_files(tmp_path / "case.duckdb", [path]).results[0]
    assert (result.lines_read, result.events_parsed + result.lines_rejected) == (10000, 10000)
    assert result.unverified_from_line == 1
    rows, source = _kept(tmp_path / "case.duckdb")
    assert list(rows.raw) == original.decode().rstrip("\n").split("\n")   # every byte right ...
    assert set(rows.integrity) == {"unverified"}                          # ... but unconfirmed
    assert source.truncation_reason.startswith(
        "gzip member starting at stored byte 0 is damaged (Error -3 while decompressing data: incorrect data check)")
    assert f"detected at stored byte {len(data) - 8 + 4:,}" in source.truncation_reason or \
        f"of {len(data):,}" in source.truncation_reason


def test_gzip_zeroed_bytes_keep_the_original_lines_and_flag_the_invented_ones(original, tmp_path):
    """The case of the issue: zeroed bytes in a gzip member make the inflater
    write lines that never existed; they are kept as the tool writes them,
    every one flagged unverified, and no unflagged line differs from the original."""
    data, _ = _damaged("gz", "zero64", _packed("gz", original), tmp_path)
    path = tmp_path / "access.log.gz"
    path.write_bytes(data)
    ingest_files(tmp_path / "case.duckdb", [path])
    rows, source = _kept(tmp_path / "case.duckdb")
    original_lines = original.decode().split("\n")
    invented = [n for n, raw in zip(rows.line_no, rows.raw) if raw != original_lines[n - 1]]
    assert len(invented) > 100                      # the damage did invent lines ...
    assert source.unverified_from_line == 1         # ... and gzip verifies a member only at its end
    assert set(rows.integrity) == {"unverified"}


def test_bzip2_keeps_verified_blocks_verified(original, tmp_path):
    """bzip2 checks each block: the blocks before the damaged one stay verified."""
    packed = _packed("bz2", original)
    path = tmp_path / "access.log.bz2"
    data, at = _damaged("bz2", "zero64", packed, tmp_path)
    path.write_bytes(data)
    reader = SourceReader(path)
    lines = [line for chunk in reader.chunks() for line in chunk.lines]
    # The first block (900 kB of text) is kept whole and every line of it is the original's.
    assert len(lines) > 3000 and lines[:-1] == original.decode().split("\n")[:len(lines) - 1]
    assert reader.truncated
    # The reason names the damaged block by its stored bytes, and the zeroed bytes lie inside it.
    reason = reader.truncation_reason
    assert reason.startswith("bzip2 block 2 at stored bytes ") and "every block before it passed its CRC" in reason
    start, end = (int(x.replace(",", "")) for x in reason.split("stored bytes ")[1].split(" is")[0].split(" to "))
    assert start <= at < end
    # Its last line is cut by the block boundary: verified bytes, flagged `cut`, not unverified.
    assert reader.unverified_from_line is None and reader.cut_line == len(lines)
    assert original.decode().split("\n")[len(lines) - 1].startswith(lines[-1])


def test_bzip2_flip_in_the_middle_keeps_the_blocks_before_it(original, tmp_path):
    packed = _packed("bz2", original)
    data = bytearray(packed)
    data[len(data) // 2] ^= 0x10
    path = tmp_path / "access.log.bz2"
    path.write_bytes(bytes(data))
    recovered = _tool_lines("bz2", path)
    ingest_files(tmp_path / "case.duckdb", [path])
    rows, source = _kept(tmp_path / "case.duckdb")
    assert list(rows.raw[:len(recovered) - 1]) == recovered[:-1]
    verified = rows[rows.integrity.isna()]
    original_lines = original.decode().split("\n")
    assert len(verified) == source.unverified_from_line - 1 > 3000
    assert all(raw == original_lines[n - 1] for n, raw in zip(verified.line_no, verified.raw))


def test_multi_block_xz_keeps_the_blocks_before_the_damage_verified(original, tmp_path):
    xz = shutil.which("xz")
    if xz is None:
        pytest.skip("xz is not installed: Python's lzma writes single-block files only")
    plain = tmp_path / "access.log"
    plain.write_bytes(original)
    subprocess.run([xz, "-k", "--block-size=262144", str(plain)], check=True)
    packed = (tmp_path / "access.log.xz").read_bytes()
    ends = _xz_block_ends(tmp_path / "access.log.xz", len(packed))
    assert len(ends) >= 8
    damaged = bytearray(packed)
    damaged[ends[3] - 1] ^= 0xFF                 # the 4th block's check
    path = tmp_path / "damaged.log.xz"
    path.write_bytes(bytes(damaged))
    recovered = _tool_lines("xz", path)
    ingest_files(tmp_path / "case.duckdb", [path])
    rows, source = _kept(tmp_path / "case.duckdb")
    assert list(rows.raw[:len(recovered) - 1]) == recovered[:-1]
    # Three blocks of 256 KiB verified: the lines that end before byte 3 * 262144.
    verified_lines = original[:3 * 262144].count(b"\n")
    assert source.unverified_from_line == verified_lines + 1
    assert rows.integrity.isna().sum() == verified_lines
    assert f"xz block 4 of {len(ends)} at stored bytes {ends[2]:,} to {ends[3]:,} is damaged" in \
        source.truncation_reason


def test_stepwise_reader_agrees_with_a_clean_file(original, tmp_path):
    """Undamaged archives, members and streams concatenated: every line, all verified."""
    for kind in ("gz", "bz2", "xz"):
        half = len(original) // 2
        cut = original.rfind(b"\n", 0, half) + 1
        path = tmp_path / f"two.{kind}"
        path.write_bytes(_packed(kind, original[:cut]) + _packed(kind, original[cut:]))
        reader = SourceReader(path, chunk_bytes=1 << 16)
        lines = [line for chunk in reader.chunks() for line in chunk.lines]
        assert lines == original.decode().rstrip("\n").split("\n"), kind
        assert not reader.truncated and reader.unverified_from_line is None
        assert reader.content_bytes == len(original)
