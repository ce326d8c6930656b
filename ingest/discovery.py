"""Find the report files under the paths a user gave, and say what was left out and why.

Folders are walked recursively (sorted, never following links to folders); files are picked by
name ending. Nothing is opened beyond an ``O_NONBLOCK`` readability check, so a FIFO or device in a
folder never blocks the walk. Each path that cannot be used becomes an error with advice: a path
that does not exist, a folder that cannot be listed, a link that loops or dangles, a pipe, device or
socket, a file that cannot be read. Hidden folders and hidden report files (names starting with a
dot) and links to folders are left out and listed in ``skipped``.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ingest.files import display_name, regular_file_problem
from ingest.results import IngestResult

__all__ = ["REPORT_SUFFIXES", "Discovery", "find_report_files"]

REPORT_SUFFIXES = frozenset({".pdf", ".html", ".htm", ".txt", ".text", ".md", ".docx"})
"""File name endings picked up when a folder is ingested (single files of any name are read)."""


@dataclass(frozen=True)
class Discovery:
    """What :func:`find_report_files` found.

    Also behaves as the pair ``(files, errors)`` (unpacking, indexing), the shape
    :func:`ingest.pipeline.discover` has always returned.
    """

    files: list[Path] = field(default_factory=list)
    errors: list[IngestResult] = field(default_factory=list)
    skipped: list[IngestResult] = field(default_factory=list)

    def __iter__(self) -> Iterator[list]:
        return iter((self.files, self.errors))

    def __getitem__(self, index: int) -> list:
        return (self.files, self.errors)[index]

    def __len__(self) -> int:
        return 2


def _error(path: Path | str, message: str) -> IngestResult:
    return IngestResult(str(path), error=message, status="error")


def _skip(path: Path, message: str) -> IngestResult:
    return IngestResult(str(path), error=f"{display_name(path)}: {message}", status="skipped")


def _folder_problem(folder: Path, exc: OSError) -> IngestResult:
    shown = display_name(folder)
    if exc.errno in (errno.EACCES, errno.EPERM):
        return _error(folder, f"{shown}: folder cannot be read (permission denied), so its reports were not "
                              "found: make it readable (e.g. chmod a+rx) or leave it out")
    if exc.errno == errno.ELOOP:
        return _error(folder, f"{shown}: a symbolic link in this path loops: fix or delete the link")
    reason = display_name(exc.strerror or type(exc).__name__)
    return _error(folder, f"{shown}: folder cannot be listed ({reason}): check the path and the disk")


def _missing(path: Path) -> IngestResult:
    shown = display_name(path)
    try:
        os.lstat(path)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM):
            return _error(path, f"{shown}: permission denied on a folder in this path: make it searchable "
                                "(e.g. chmod a+x) or pass another path")
        return _error(path, f"{shown}: no such file or folder: check the path")
    problem = regular_file_problem(path)  # a link that loops or points nowhere
    return _error(path, f"{shown}: {problem.reason}" if problem else f"{shown}: cannot be read: check the path")


def _walk(folder: Path, found: Discovery) -> None:
    """Add the report files under ``folder`` to ``found`` (depth first, sorted, iteratively)."""
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as exc:
            found.errors.append(_folder_problem(current, exc))
            continue
        subfolders: list[Path] = []
        for entry in entries:
            path = Path(entry.path)
            if entry.name.startswith("."):
                folder = entry.is_dir(follow_symlinks=False)
                if folder or Path(entry.name).suffix.lower() in REPORT_SUFFIXES:  # not .DS_Store and the like
                    found.skipped.append(_skip(path, f"hidden {'folder' if folder else 'file'} (name starts with "
                                                     "a dot) left out: rename it without the dot, or pass it by "
                                                     "name, to include it"))
            elif entry.is_dir(follow_symlinks=False):
                subfolders.append(path)
            elif entry.is_symlink() and _is_dir(path):
                found.skipped.append(_skip(path, "link to a folder, not followed: pass the folder it points to "
                                                 "to include it"))
            elif Path(entry.name).suffix.lower() in REPORT_SUFFIXES:
                _add_file(path, found)
        stack.extend(reversed(subfolders))


def _is_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except OSError:
        return False


def _add_file(path: Path, found: Discovery) -> None:
    if problem := regular_file_problem(path):
        found.errors.append(_error(path, str(problem)))
    else:
        found.files.append(path)


def find_report_files(paths: Iterable[str | os.PathLike[str]]) -> Discovery:
    """The report files under ``paths``, the paths that cannot be used, and what was left out.

    A file given by name is taken whatever its name; a folder is walked for files whose names end
    in one of :data:`REPORT_SUFFIXES`. Never raises for a bad path, and never blocks.
    """
    found = Discovery()
    for entry in paths:
        path = Path(entry)
        try:
            info = os.stat(path)
        except OSError:
            found.errors.append(_missing(path))
            continue
        if stat.S_ISDIR(info.st_mode):
            _walk(path, found)
        else:
            _add_file(path, found)
    return found
