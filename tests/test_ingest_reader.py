"""The reader: compressed streams, line numbering, CRLF, invalid UTF-8, damage."""

from __future__ import annotations

import gzip
import hashlib

from forensics.ingest.reader import SourceReader, head_lines, sniff_compression


def _all_lines(reader: SourceReader) -> list[str]:
    return [line for chunk in reader.chunks() for line in chunk.lines]


def test_compressed_copies_decompress_to_the_original_bytes(realdata):
    original = (realdata / "plaso" / "syslog_copy").read_bytes()
    expected = original.decode("utf-8").rstrip("\n").split("\n")
    for name, kind in (("syslog.gz", "gzip"), ("syslog.bz2", "bz2"), ("syslog.xz", "xz")):
        path = realdata / "plaso" / name
        assert sniff_compression(path) == kind
        reader = SourceReader(path)
        lines = _all_lines(reader)
        assert lines == expected, name
        assert len(lines) == 15
        assert not reader.truncated
        # The hash is of the stored (compressed) bytes, as the file sits on disk.
        assert reader.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_small_chunks_give_the_same_numbered_lines(realdata):
    path = realdata / "access" / "elastic-examples" / "apache_logs"
    whole = path.read_text(encoding="utf-8").rstrip("\n").split("\n")
    reader = SourceReader(path, chunk_bytes=4096)
    chunks = list(reader.chunks())
    assert len(chunks) > 100
    numbered = [(c.first_line_no + i, line) for c in chunks for i, line in enumerate(c.lines)]
    assert [n for n, _ in numbered] == list(range(1, 10001))
    assert [line for _, line in numbered] == whole
    assert numbered[8898][1].startswith("46.118.127.106 - - [20/May/2015:12:05:17 +0000]")


def test_crlf_terminators_are_stripped_and_nothing_else(realdata):
    lines = _all_lines(SourceReader(realdata / "lnav" / "test" / "logfile_crlf.0"))
    assert lines[0] == "2012-07-02 10:22:40,672:DEBUG:foo bar baz"
    assert all(not line.endswith("\r") for line in lines)


def test_invalid_utf8_is_replaced_counted_and_kept(realdata):
    path = realdata / "lnav" / "test" / "logfile_invalid_utf8.0"
    raw_lines = path.read_bytes().split(b"\n")
    chunks = list(SourceReader(path).chunks())
    assert len(chunks) == 1
    chunk = chunks[0]
    assert len(chunk.lines) == 6
    assert list(chunk.invalid) == [3]          # line 4: <node>...</node>
    assert chunk.invalid[3] == raw_lines[3].rstrip(b"\r")
    assert "\ufffd" in chunk.lines[3]
    assert chunk.lines[3].startswith("\t\t<node>")
    assert chunk.lines[0] == "2015-03-12T23:16:52.071:INFO:com.root:Response :"


def test_broken_gzip_is_marked_truncated(realdata):
    reader = SourceReader(realdata / "lnav" / "test" / "textfile_broken_gz.txt.gz")
    # The one byte inflated before the error is kept, marked as never verified.
    assert _all_lines(reader) == ["\ufffd"]
    assert reader.unverified_from_line == 1
    assert reader.truncated
    assert reader.truncation_reason.startswith("gzip member starting at stored byte 0 is damaged")
    assert "detected at stored byte 14 of 17" in reader.truncation_reason
    assert "invalid distance too far back" in reader.truncation_reason


def test_cut_gzip_keeps_the_lines_before_the_cut(tmp_path, realdata):
    source = (realdata / "access" / "elastic-examples" / "apache_logs").read_bytes()
    packed = gzip.compress(source)
    cut = tmp_path / "access.log.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    reader = SourceReader(cut, chunk_bytes=1 << 16)
    lines = _all_lines(reader)
    assert reader.truncated
    assert "ends before its end-of-stream marker" in reader.truncation_reason
    expected = source.decode().split("\n")
    assert 1000 < len(lines) < 10000
    # Every line but possibly the last (cut mid-line) is exactly the original.
    assert lines[:-1] == expected[: len(lines) - 1]


def test_concatenated_gzip_members_are_one_stream(tmp_path):
    path = tmp_path / "two.gz"
    path.write_bytes(gzip.compress(b"a 1\nb 2\n") + gzip.compress(b"c 3\n"))
    reader = SourceReader(path)
    assert _all_lines(reader) == ["a 1", "b 2", "c 3"]
    assert not reader.truncated


def test_last_line_without_newline_and_blank_lines(tmp_path):
    path = tmp_path / "x.log"
    path.write_bytes(b"one\n\n  \nfour")
    assert _all_lines(SourceReader(path)) == ["one", "", "  ", "four"]
    assert head_lines(path) == ["one", "", "  ", "four"]


def test_blank_line_check_agrees_with_the_plain_definition():
    """The fast blank-line check (anchored on newlines) must say exactly what
    "some line is empty or white space only" says, on many small texts."""
    import random
    import re

    from forensics.ingest.reader import has_blank_line

    plain = re.compile(r"^[ \t\r\f\v]*$", re.M)
    rng = random.Random(20260322)
    pieces = ["a", " ", "\t", "\n", "\r", "\v", "\f", "x", "\n\n", "GET /"]
    for _ in range(20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        assert has_blank_line(text) == (plain.search(text) is not None), repr(text)


def test_arrow_lines_say_what_the_python_lines_say(tmp_path):
    """The Arrow form of a chunk (cut from the bytes by numpy) and its Python
    strings agree line for line, on many small files of CRLF, lone CRs, blank
    lines, multi-byte and invalid UTF-8, with and without a final newline; the
    parse mask leaves out exactly the blank lines."""
    import random

    blank = " \t\r\f\v"
    rng = random.Random(20261202)
    pieces = [b"a", b" ", b"\t", b"\n", b"\r", b"\r\n", b"\x0b", b"\x0c", b"\n\n", b"GET /", b"\xc3\xa9",
              b"\xe2\x82\xac", b"\xff", b"\xc3", b"\x00", b"\r\r\n"]
    path = tmp_path / "x.log"
    for round_no in range(1500):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(1, 30)))
        path.write_bytes(data)
        for chunk in SourceReader(path, chunk_bytes=rng.choice([1, 8, 1 << 20])).chunks():
            arrow = chunk.arrow_lines()
            lines = chunk.lines
            assert arrow == lines, (round_no, data)
            assert len(chunk) == len(lines)
            assert chunk.parse_mask().tolist() == [bool(line.strip(blank)) for line in lines], (round_no, data)
    # The decoding itself: the file split on "\n", one CR before it dropped, invalid UTF-8 replaced.
    path.write_bytes(b"GET /\r\n\xc3\xa9t\xc3\xa9\r\r\n\n  \r\nend\r")
    chunk = next(SourceReader(path).chunks())
    assert chunk.arrow_lines() == ["GET /", "\u00e9t\u00e9\r", "", "  ", "end"]
    assert chunk.parse_mask().tolist() == [True, True, False, False, True]
    assert chunk.invalid == {}
    path.write_bytes(b"ok\n\xffbad\r\n\n")
    chunk = next(SourceReader(path).chunks())
    assert chunk.arrow_lines() == ["ok", "\ufffdbad", ""]
    assert chunk.invalid == {1: b"\xffbad"}
