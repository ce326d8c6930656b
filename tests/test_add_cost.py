"""What adding a report to an existing index costs beyond reading it: what is synced to disk and
what is encoded. Builds use the keyword encoder and a copy of the bundled reports."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from conftest import LETTER, REPORTS, KeywordEmbedder

from search.index.build import build_index
from search.index.layout import generation_dir, read_manifest


def _corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "reports"
    folder.mkdir()
    shutil.copy(LETTER, folder / LETTER.name)
    return folder


def _add_other_report(folder: Path) -> None:
    other = next(p for p in sorted(REPORTS.iterdir()) if p.name != LETTER.name)
    shutil.copy(other, folder / other.name)


def test_publishing_syncs_new_files_and_every_folder_but_not_linked_files(tmp_path: Path, monkeypatch) -> None:
    corpus, index_dir = _corpus(tmp_path), tmp_path / "index"
    build_index([corpus], index_dir, embedder=KeywordEmbedder())
    kept = read_manifest(index_dir)["segments"][0]["name"]
    _add_other_report(corpus)
    synced: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    build_index([corpus], index_dir, embedder=KeywordEmbedder())
    manifest = read_manifest(index_dir)
    staged = next(Path(p) for p in synced if Path(p).name.startswith(".tmp-gen-")).as_posix()
    relative = {Path(p).relative_to(staged).as_posix() for p in synced if p.startswith(staged + "/")}
    new = [s["name"] for s in manifest["segments"] if s["name"] != kept]
    assert kept in {s["name"] for s in manifest["segments"]} and new
    live = generation_dir(index_dir, manifest)
    files = {p.relative_to(live).as_posix(): p for p in live.rglob("*") if p.is_file() and p.name != "manifest.json"}
    linked = {name for name in files if name.startswith(f"{kept}/")}
    assert linked and not linked & relative, "files linked from the live generation are synced again"
    written = {name for name in files if name.split("/")[0] in new}
    assert written and written <= relative, "a file the build wrote is not synced"
    folders = {p.relative_to(live).as_posix() for p in live.rglob("*") if p.is_dir()}
    assert folders <= relative and staged in synced, "a folder of the new generation is not synced"
