"""Backups of the data directory's SQLite databases, taken while the app runs, and restores.

A backup is one tar.gz file: each database copied with SQLite's online backup API (a consistent
snapshot: the app and Rasa keep reading and writing meanwhile) and a manifest saying when it was
taken, by which version, and which migrations each database had. Search index files are left
out: the app rebuilds a missing index from the database at start. Which files to copy and which
migrations this code knows are given by the caller (`cascade/operations.py`); this module knows
no tier's tables.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterable, Mapping
from contextlib import closing
from dataclasses import asdict, dataclass, field
from pathlib import Path

FORMAT = 1
MANIFEST = "manifest.json"
SIDECARS = ("-wal", "-shm", "-journal")  # SQLite's files beside a database


class BackupError(Exception):
    """Root of the reasons a backup cannot be taken or restored."""


class NoDatabase(BackupError):
    def __init__(self, path: Path) -> None:
        super().__init__(f"no database at {path}: is --data-dir the app's data directory?")


class NotEmpty(BackupError):
    def __init__(self, data_dir: Path) -> None:
        super().__init__(
            f"{data_dir} is not empty: restore into a new directory, or give --force to replace"
            " its databases (stop the app that uses it first)"
        )


class ServerDatabase(BackupError):
    """The app's database is a PostgreSQL server's: not a file of the data directory, shared by
    every replica, and backed up with PostgreSQL's own tools."""

    def __init__(self, command: str) -> None:
        super().__init__(
            f"the app's database is on PostgreSQL (CASCADE_DATABASE_URL): `cascade {command}`"
            " copies the SQLite databases of a data directory. Back PostgreSQL up with its own"
            " tools: pg_dump --format=custom (brought back with pg_restore), or continuous"
            " archiving for point-in-time recovery (docs/production/operations.md)"
        )


class BadBackup(BackupError):
    """The file is not a backup, or not a whole one."""


class NewerSchema(BackupError):
    def __init__(self, unknown: list[str]) -> None:
        super().__init__(
            "the backup was taken by a newer Cascade: its database has migrations this version"
            f" does not know ({', '.join(unknown)}); restore it with that version"
        )


@dataclass(frozen=True)
class Copied:
    """One database in a backup."""

    file: str
    bytes: int
    sha256: str
    migrations: dict[str, list[str]] = field(default_factory=dict)  # set name -> applied


@dataclass(frozen=True)
class Manifest:
    format: int
    created_at: str
    app_version: str
    databases: dict[str, Copied]  # role (app, tracker_store) -> its copy

    def as_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def parse(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw)
            if data.get("format") != FORMAT:
                raise BadBackup(
                    f"backup format {data.get('format')!r}; this version reads {FORMAT}"
                )
            return cls(
                format=data["format"],
                created_at=data["created_at"],
                app_version=data["app_version"],
                databases={role: Copied(**copy) for role, copy in data["databases"].items()},
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BadBackup(f"the manifest cannot be read: {exc}") from exc


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a live database, through SQLite's online backup API: all pages in
    one step, inside one read transaction, so writers (WAL mode) never wait on it."""
    if not source.is_file():
        raise NoDatabase(source)
    with closing(sqlite3.connect(source, timeout=30)) as src:
        src.execute("PRAGMA busy_timeout = 30000")
        with closing(sqlite3.connect(target)) as dst:
            src.backup(dst)
    check_integrity(target)


def check_integrity(path: Path) -> None:
    with closing(sqlite3.connect(path)) as db:
        try:
            found = db.execute("PRAGMA integrity_check").fetchall()
        except sqlite3.DatabaseError as exc:
            raise BadBackup(f"{path.name} is not a readable database: {exc}") from exc
    if found != [("ok",)]:
        raise BadBackup(f"{path.name} failed SQLite's integrity check: {found[:3]}")


def applied_migrations(path: Path) -> dict[str, list[str]]:
    """Each migration set's applied migrations, in order (sqlite-utils' record of them)."""
    with closing(sqlite3.connect(path)) as db:
        has_table = db.execute(
            "select 1 from sqlite_master where type = 'table' and name = '_sqlite_migrations'"
        ).fetchone()
        if not has_table:
            return {}
        found: dict[str, list[str]] = {}
        for migration_set, name in db.execute(
            "select migration_set, name from _sqlite_migrations order by id"
        ):
            found.setdefault(migration_set, []).append(name)
    return found


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def take(
    databases: Mapping[str, Path],
    target: Path,
    *,
    optional: Iterable[str] = (),
    app_version: str,
    created_at: str,
) -> Manifest:
    """Copy each database (role -> path) into the tar.gz `target`, written whole or not at all.
    A database whose role is `optional` and which does not exist is left out."""
    skip = set(optional)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".backup-") as scratch:
        copies: dict[str, Copied] = {}
        for role, path in databases.items():
            if role in skip and not path.exists():
                continue
            copied = Path(scratch) / path.name
            copy_database(path, copied)
            copies[role] = Copied(
                file=path.name,
                bytes=copied.stat().st_size,
                sha256=sha256(copied),
                migrations=applied_migrations(copied),
            )
        manifest = Manifest(FORMAT, created_at, app_version, copies)
        partial = Path(scratch) / "backup.tar.gz"
        with tarfile.open(partial, "w:gz") as archive:
            raw = manifest.as_json().encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(raw)
            archive.addfile(info, io.BytesIO(raw))
            for entry in copies.values():
                archive.add(Path(scratch) / entry.file, arcname=entry.file)
        os.replace(partial, target)
    return manifest


def read_manifest(source: Path) -> Manifest:
    try:
        with tarfile.open(source, "r:gz") as archive:
            member = archive.extractfile(MANIFEST)
            if member is None:
                raise BadBackup(f"{source} holds no {MANIFEST}")
            return Manifest.parse(member.read())
    except (tarfile.TarError, KeyError, OSError, EOFError) as exc:
        raise BadBackup(f"{source} is not a Cascade backup: {exc}") from exc


def restore(
    source: Path,
    data_dir: Path,
    *,
    places: Mapping[str, Path],
    known_migrations: Mapping[str, set[str]],
    rebuildable: Iterable[Path] = (),
    force: bool = False,
) -> Manifest:
    """Bring the databases of backup `source` into `data_dir` (role -> where each goes, in
    `places`), after checking the manifest, every file's checksum and integrity, and that this
    version knows every migration the backup had. A directory with anything in it is refused
    unless `force`; then its databases are replaced and the `rebuildable` files (search
    indexes) removed, so the app makes them again from the restored database."""
    manifest = read_manifest(source)
    if data_dir.exists() and any(data_dir.iterdir()) and not force:
        raise NotEmpty(data_dir)
    unknown = [
        f"{migration_set}.{name}"
        for copy in manifest.databases.values()
        for migration_set, names in copy.migrations.items()
        for name in names
        if name not in known_migrations.get(migration_set, set())
    ]
    if unknown:
        raise NewerSchema(unknown)
    missing = [role for role in manifest.databases if role not in places]
    if missing:
        raise BadBackup(f"the backup holds databases this version does not use: {missing}")
    data_dir.mkdir(parents=True, exist_ok=True)
    staged: dict[str, Path] = {}
    try:
        with tarfile.open(source, "r:gz") as archive:
            for role, copy in manifest.databases.items():
                staged[role] = _extract(archive, copy, data_dir / f".restoring-{copy.file}")
        for path in [*places.values(), *rebuildable]:
            for stale in (path, *(path.with_name(path.name + s) for s in SIDECARS)):
                stale.unlink(missing_ok=True)
        for role, path in staged.items():
            os.replace(path, places[role])
    finally:
        for path in staged.values():
            path.unlink(missing_ok=True)
    return manifest


def _extract(archive: tarfile.TarFile, copy: Copied, to: Path) -> Path:
    try:
        member = archive.getmember(copy.file)
    except KeyError as exc:
        raise BadBackup(f"the backup lacks {copy.file}, which its manifest lists") from exc
    stream = archive.extractfile(member) if member.isfile() else None
    if stream is None:
        raise BadBackup(f"{copy.file} in the backup is not a file")
    with to.open("wb") as out:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            out.write(chunk)
    if sha256(to) != copy.sha256:
        raise BadBackup(f"{copy.file} does not match its checksum: the backup is damaged")
    check_integrity(to)
    return to
