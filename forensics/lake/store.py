"""Where the lake's files are, on any fsspec file system (local path, NFS, S3)."""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

from forensics.errors import ForensicsError

SHA256 = re.compile(r"^[0-9a-f]{64}$")
DATASETS = ("sources", "events", "rejects", "coverage")


def filesystem(url: str, storage_options: dict | None = None):
    """(fsspec file system, path inside it) for a local path or a URL such as s3://bucket/lake."""
    try:
        import fsspec
    except ImportError:
        raise ForensicsError("the evidence lake needs the lake extra: pip install 'forensics[lake]'") from None
    try:
        fs, path = fsspec.core.url_to_fs(str(url), **(storage_options or {}))
    except ImportError as exc:   # e.g. s3:// without s3fs
        raise ForensicsError(f"cannot open {url}: {exc}; pip install 'forensics[lake]'") from None
    except ValueError as exc:
        raise ForensicsError(f"cannot open {url}: {exc}") from None
    return fs, path


def is_local(fs) -> bool:
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return protocol in ("file", "local")


@dataclass
class Lake:
    """A lake: a root directory on an fsspec file system.

    Args:
        url: a local directory or a URL (`s3://bucket/prefix`).
        storage_options: passed to fsspec (for S3: `endpoint_url`, `key`,
            `secret`, ...); by default s3fs reads the usual AWS variables.
    """

    url: str
    storage_options: dict = field(default_factory=dict)

    def __post_init__(self):
        self.fs, self.root = filesystem(self.url, self.storage_options)
        self.root = self.root.rstrip("/")
        self.local = is_local(self.fs)

    def path(self, *parts: str) -> str:
        return posixpath.join(self.root, *parts)

    def uri(self, path: str) -> str:
        """A path inside the file system as the URL a reader (DuckDB) opens."""
        if self.local:
            return path
        protocol = self.fs.protocol if isinstance(self.fs.protocol, str) else self.fs.protocol[0]
        return f"{protocol}://{path}"

    def ensure(self) -> None:
        """Create the lake's root (object stores need nothing)."""
        try:
            if self.local:
                Path(self.root).mkdir(parents=True, exist_ok=True)
            elif not self.fs.exists(self.root.split("/")[0]):
                raise ForensicsError(f"{self.url}: the bucket does not exist")
        except OSError as exc:
            raise ForensicsError(f"cannot create the lake {self.url}: {exc}") from None

    def exists(self) -> bool:
        return self.fs.exists(self.path("sources"))

    def known_sha256(self) -> set[str]:
        """The SHA-256 of every file in the lake (a file is in when its sources row is)."""
        try:
            names = self.fs.ls(self.path("sources"), detail=False)
        except FileNotFoundError:
            return set()
        out = set()
        for name in names:
            stem = posixpath.basename(name).removesuffix(".parquet")
            if SHA256.match(stem):
                out.add(stem)
        return out

    def source_file(self, sha: str) -> str:
        return self.path("sources", f"{sha}.parquet")

    def files(self, dataset: str) -> list[str]:
        """Every Parquet file of a dataset (events: all partitions)."""
        pattern = self.path(dataset, "**", "*.parquet") if dataset == "events" else self.path(dataset, "*.parquet")
        try:
            return sorted(self.fs.glob(pattern))
        except FileNotFoundError:
            return []

    def staging(self) -> str | None:
        """Where a task writes its files before they join the lake: for a local
        lake a directory inside it (`.incoming`, outside every dataset), so that
        `upload` moves each file with a rename instead of copying its bytes;
        None for an object store (a local temporary directory is used)."""
        if not self.local:
            return None
        path = self.path(".incoming")
        Path(path).mkdir(parents=True, exist_ok=True)
        return path

    def upload(self, local_dir: Path) -> list[str]:
        """Move (local lake) or copy (object store) every file under `local_dir`
        to the same relative path in the lake, in name order (`coverage/` first)."""
        local_files = sorted(p for p in Path(local_dir).rglob("*") if p.is_file())
        targets = [self.path(*p.relative_to(local_dir).parts) for p in local_files]
        if self.local:
            for local, target in zip(local_files, targets):
                Path(target).parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.replace(local, target)   # same file system: a rename
                except OSError:
                    self.fs.put_file(str(local), target)
        elif targets:
            # One call: object stores' file systems (s3fs) send the files concurrently.
            self.fs.put([str(p) for p in local_files], targets)
        return targets

    def fetch(self, paths: list[str], local_dir: Path) -> list[str]:
        """Local copies of lake files (for a remote lake: fetched concurrently in one call)."""
        if self.local or not paths:
            return list(paths)
        targets = [str(Path(local_dir) / p.lstrip("/")) for p in paths]
        for target in targets:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        self.fs.get(list(paths), targets)
        return targets

    def parts_of(self, sha: str) -> list[str]:
        """Every part file of one input file (events, rejects, coverage), of any run."""
        if not SHA256.match(sha):
            raise ValueError("not a SHA-256")
        found = []
        for dataset in ("events", "rejects", "coverage"):
            pattern = (self.path(dataset, "**", f"{sha}-*.parquet") if dataset == "events"
                       else self.path(dataset, f"{sha}-*.parquet"))
            try:
                found += self.fs.glob(pattern)
            except FileNotFoundError:
                pass
        return sorted(found)

    def remove(self, paths: list[str]) -> None:
        for path in paths:
            try:
                self.fs.rm_file(path)
            except FileNotFoundError:
                pass


def day_of(path: str) -> str | None:
    """The `day=` partition value of an events file path."""
    found = re.search(r"/day=([^/]+)/", path)
    return found.group(1) if found else None


def kind_of(path: str) -> str | None:
    found = re.search(r"/source_kind=([^/]+)/", path)
    return found.group(1) if found else None


def sha_of(path: str) -> str | None:
    found = re.match(r"([0-9a-f]{64})", posixpath.basename(path))
    return found.group(1) if found else None


def part_of(path: str) -> tuple[str, str] | None:
    """(SHA-256, ingest run) of a part file's name (`<sha256>-<run>-p<part>...`;
    the run is "" in a lake written before runs were named)."""
    found = re.match(r"([0-9a-f]{64})-(?:([0-9a-f]+)-)?p\d", posixpath.basename(path))
    return (found.group(1), found.group(2) or "") if found else None
