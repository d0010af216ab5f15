"""Account maps: the logins and server ids a provider's panels use, mapped to
one customer account (`forensics ingest --accounts map.csv`).

Panels name the same customer differently: cPanel by its user name, Proxmox
by `user@realm`, a billing panel by a client number, a VPS panel by the
server's id.  A map joins them, so that an investigation of account
`K-10023` finds its cPanel and Proxmox events too.  The map is evidence of a
decision the provider made, so it is kept like a source: its path, size and
SHA-256 in `account_maps`, each entry with its line in `account_map_entries`,
and every event it changed names the entry (`detail.account_map` =
`path:line`) and keeps what the log said (`detail.account_as_logged`).

The file is CSV with the header `field,value,account`:

* `account,tzimmer,K-10023`: events whose `account` is `tzimmer` (a cPanel
  user, a Proxmox `user@realm`) belong to `K-10023`;
* `user,jsvoboda@pve,K-10188`: events without an account whose `user` is
  `jsvoboda@pve`;
* `target,101,K-10188`: events without an account whose `target` is `101`
  (a VM id, a WHMCS service id).

Blank lines and lines starting with `#` are ignored.  A map applies to the
files ingested with it.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from forensics import __version__
from forensics.errors import ForensicsError

FIELDS = ("account", "user", "target")  # in the order they are applied
HEADER = ["field", "value", "account"]


@dataclass
class AccountMap:
    """A validated map file."""

    path: str
    sha256: str
    size_bytes: int
    entries: list[tuple[int, str, str, str]] = field(default_factory=list)  # (line_no, field, value, account)
    map_id: int | None = None


def load_account_map(path: str | Path) -> AccountMap:
    """Read and check a map file (nothing is written).

    Raises:
        ForensicsError: the file is missing, not the CSV described above, or maps
            one value to two accounts (the message names the lines).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ForensicsError(f"--accounts {path}: cannot read the file ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ForensicsError(f"--accounts {path}: not UTF-8 text") from None
    entries: list[tuple[int, str, str, str]] = []
    header_seen = False
    seen: dict[tuple[str, str], tuple[int, str]] = {}
    problems: list[str] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in next(csv.reader([line]))]
        if not header_seen:
            if [c.lower() for c in cells] != HEADER:
                raise ForensicsError(f"--accounts {path}:{line_no}: the first line must be the header "
                                     f"{','.join(HEADER)} (found {line!r})")
            header_seen = True
            continue
        if len(cells) != 3:
            problems.append(f"line {line_no}: expected 3 fields (field,value,account), found {len(cells)}")
            continue
        kind, value, account = cells
        if kind not in FIELDS:
            problems.append(f"line {line_no}: field must be one of {', '.join(FIELDS)}, not {kind!r}")
            continue
        if not value or not account:
            problems.append(f"line {line_no}: value and account must not be empty")
            continue
        earlier = seen.get((kind, value))
        if earlier and earlier[1] != account:
            problems.append(f"line {line_no}: {kind} {value!r} is mapped to {account!r} here and to "
                            f"{earlier[1]!r} on line {earlier[0]}")
            continue
        seen[(kind, value)] = (line_no, account)
        entries.append((line_no, kind, value, account))
    if not header_seen:
        raise ForensicsError(f"--accounts {path}: empty; expected the header {','.join(HEADER)} and entries")
    if problems:
        raise ForensicsError(f"--accounts {path}: " + "; ".join(problems))
    return AccountMap(str(path), hashlib.sha256(data).hexdigest(), len(data), entries)


def record_account_map(con, amap: AccountMap) -> int:
    """Keep the map in the case (once per SHA-256); returns its `map_id`."""
    row = con.execute("SELECT map_id FROM account_maps WHERE sha256 = $sha", {"sha": amap.sha256}).fetchall()
    if row:
        amap.map_id = row[0][0]
        return amap.map_id
    amap.map_id = con.execute("SELECT coalesce(max(map_id), 0) + 1 FROM account_maps").fetchall()[0][0]
    con.execute(
        "INSERT INTO account_maps VALUES ($id, $path, $abs, $size, $sha, $n, now(), $version)",
        {"id": amap.map_id, "path": amap.path, "abs": str(Path(amap.path).resolve()),
         "size": amap.size_bytes, "sha": amap.sha256, "n": len(amap.entries), "version": __version__},
    )
    for line_no, kind, value, account in amap.entries:
        con.execute("INSERT INTO account_map_entries VALUES ($id, $line, $field, $value, $account)",
                    {"id": amap.map_id, "line": line_no, "field": kind, "value": value, "account": account})
    return amap.map_id


def apply_account_map(con, amap: AccountMap, source_id: int) -> int:
    """Set `account` on the source's events the map names; returns how many changed.

    `account` entries rename an account as logged; `user` and `target`
    entries fill events that have none.  Each changed event keeps what the
    log said and names the map entry (`path:line`) in `detail`.
    """
    from forensics.schema import EVENT_TABLES, HTTP_COLUMNS

    changed = 0
    for table in EVENT_TABLES:
        for kind in FIELDS:
            if table == "http_events" and kind not in HTTP_COLUMNS:
                continue   # (no such column there: no value to map)
            column = '"user"' if kind == "user" else kind
            condition = ("e.account = m.value" if kind == "account"
                         else f"e.account IS NULL AND e.{column} = m.value")
            changed += con.execute(
                f"""UPDATE {table} AS e SET
                       account = m.account,
                       detail = json_merge_patch(coalesce(e.detail, '{{}}'::JSON), json_object(
                           'account_as_logged', e.account,
                           'account_map', $path || ':' || m.line_no))
                    FROM account_map_entries AS m
                    WHERE e.source_id = $sid AND m.map_id = $id AND m.field = $field AND {condition}""",
                {"sid": source_id, "id": amap.map_id, "field": kind, "path": amap.path},
            ).fetchall()[0][0]
    return changed


def describe(amap: AccountMap) -> str:
    """One line for the terminal."""
    return (f"{amap.path}: account map #{amap.map_id}, {len(amap.entries)} entries, "
            f"sha256 {amap.sha256}")

