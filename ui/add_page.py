"""The Add reports page: upload files, see per file what was detected (force, period, type, title,
published date, grades, sections, findings) before adding, correct it, add, then see what the index
extracted. Each file is read in ingest's bounded worker, so a bad upload fails alone; corrections
are written as the file's sidecar (``<file>.meta.json``), which every later build applies."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from ingest import readers
from ingest.forces import all_forces
from ingest.metadata import REPORT_TYPES
from ingest.overrides import sidecar_path
from ingest.pipeline import REPORT_SUFFIXES
from ingest.types import IngestError
from search.errors import FindingsUnavailableError, IndexError_
from search.findings.api import findings, grades
from search.present import area_label
from search.reports import Detected, detected
from ui.resources import Context, build_with_progress, upload_dir
from ui.text import file_size, md_text, plural, safe_upload_name

UPLOAD_TYPES = sorted(s.lstrip(".") for s in REPORT_SUFFIXES)
FIELDS = ("force", "year", "report_type", "title", "url", "published")


@dataclass(frozen=True)
class Candidate:
    """One uploaded file: its safe name, bytes, and what was detected (or why it cannot be added)."""

    upload_name: str
    name: str | None
    data: bytes
    digest: str
    found: Detected | None = None
    problem: str | None = None
    level: str = "error"


def check_upload(upload: Any, indexed: dict[str, Any], taken: set[str]) -> Candidate:
    """Name, size, type and duplicate checks, then detection in the bounded worker."""
    name = safe_upload_name(upload.name)
    folder = upload_dir()
    base = Candidate(upload.name, name, b"", "")  # the bytes are read only once name and size pass
    target = (folder / name) if name else None
    if target is None or target.resolve().parent != folder.resolve():
        return _refused(base, f"{upload.name}: this file name cannot be used: rename the file and upload it again")
    if upload.size > readers.MAX_FILE_BYTES:
        return _refused(base, f"{name}: the file is {file_size(upload.size)}, over the {file_size(readers.MAX_FILE_BYTES)} "
                              "limit: split it or set INSPECTQA_MAX_FILE_MB")
    data = upload.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    base = Candidate(upload.name, name, data, digest)
    if Path(name).suffix.lower() not in REPORT_SUFFIXES:
        return _refused(base, f"{name}: not a report file type: upload PDF, HTML, DOCX or text "
                              f"({', '.join(UPLOAD_TYPES)})")
    same = next((source for source, info in indexed.items() if info.get("content_hash") == digest), None)
    if same is not None:
        return _refused(base, f"{name}: already indexed (as {same})", "info")
    if name in indexed or target.exists() or name in taken:
        return _refused(base, f"{name}: a report with this file name is already indexed or uploaded: rename the "
                              "file and upload it again")
    cache = st.session_state.setdefault("detected", {})
    if digest not in cache:
        try:
            cache[digest] = detected((name, data))
        except IngestError as exc:
            cache[digest] = f"{name} cannot be added: {exc.reason}"
    found = cache[digest]
    if isinstance(found, str):
        return _refused(base, found)
    return Candidate(upload.name, name, data, digest, found)


def _refused(base: Candidate, problem: str, level: str = "error") -> Candidate:
    return Candidate(base.upload_name, base.name, base.data, base.digest, None, problem, level)


def detected_fields(found: Detected) -> dict[str, str]:
    return {"force": found.force or "", "year": found.period, "report_type": found.report_type,
            "title": found.title, "url": found.url or "", "published": found.published or ""}


def review(candidate: Candidate, n: int) -> dict[str, str]:
    """What was detected in one file, with fields to correct it; returns the corrected fields."""
    found = candidate.found
    assert found is not None and candidate.name is not None
    with st.container(border=True, key=f"review_{n}"):
        st.markdown(f"**{md_text(candidate.name)}**")
        graded = "; ".join(f"{area}: {grade or 'not yet graded'}" + (f" ({period})" if period else "")
                           for area, grade, period in found.grade_list) or "none stated"
        st.caption(md_text(f"Detected: {found.force or 'no force'} · {found.period or 'no period'} · "
                           f"{REPORT_TYPES.get(found.report_type, found.report_type)} · "
                           f"{plural(found.sections, 'section')}, {plural(found.grades, 'grade')}, "
                           f"{plural(found.findings, 'finding')}"
                           + (f" · published {found.published}" if found.published else "")))
        st.caption(md_text(f"Grades: {graded}"))
        for warning in found.warnings:
            st.caption(md_text(f"Note: {warning}"))
        forces = [f.name for f in all_forces()]
        types = list(REPORT_TYPES)
        left, right = st.columns(2)
        force = left.selectbox("Force", [None, *forces], key=f"add_force_{n}",
                               index=forces.index(found.force) + 1 if found.force in forces else 0,
                               format_func=lambda f: "No force (a national report)" if f is None else f)
        year = right.text_input("Year or period", found.period, key=f"add_year_{n}",
                                help="'2016', or a period such as '2018/19' or '2023–25'")
        rtype = left.selectbox("Report type", types, key=f"add_type_{n}", format_func=REPORT_TYPES.__getitem__,
                               index=types.index(found.report_type) if found.report_type in types else 0)
        published = right.text_input("Published", found.published or "", key=f"add_published_{n}")
        title = st.text_input("Title", found.title, key=f"add_title_{n}")
        url = st.text_input("Address (URL)", found.url or "", key=f"add_url_{n}")
    return {"force": force or "", "year": year.strip(), "report_type": rtype, "title": title.strip(),
            "url": url.strip(), "published": published.strip()}


def add(ctx: Context, accepted: list[tuple[Candidate, dict[str, str]]]) -> list[tuple[str, str]]:
    """Save the files (with a sidecar for what the user corrected) and add them to the index."""
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    saved: dict[str, Path] = {}
    for candidate, fields in accepted:
        assert candidate.name is not None and candidate.found is not None
        target = folder / candidate.name
        with target.open("xb") as handle:
            handle.write(candidate.data)
        changed = {k: v for k, v in fields.items() if v != detected_fields(candidate.found)[k]}
        if changed:
            sidecar_path(target).write_text(json.dumps(changed, indent=2, ensure_ascii=False), encoding="utf-8")
        saved[candidate.name] = target
    try:
        result = build_with_progress(list(saved.values()), "Adding reports", keep_existing=True)
    except IndexError_ as exc:
        for path in saved.values():
            _forget(path)
        return [("error", f"Nothing was added: {exc}")]
    messages = []
    for outcome in result.files:
        if outcome.source not in saved:
            continue
        if outcome.status == "error":
            _forget(saved[outcome.source])
            messages.append(("error", f"{outcome.source} was not added: {outcome.error}"))
        else:
            messages.append(("success", f"{outcome.source}: {outcome.status}, {plural(outcome.chunks, 'passage')}"))
    ctx.searcher.reload_if_changed()
    st.session_state["just_added"] = [s for s in saved if (folder / s).exists()]
    return messages


def _forget(path: Path) -> None:
    path.unlink(missing_ok=True)
    sidecar_path(path).unlink(missing_ok=True)


def extracted(ctx: Context, sources: list[str]) -> None:
    """What the index now holds for each added report."""
    reports = {r["source"]: r for r in ctx.searcher.reports()}
    try:
        stated, items = grades(ctx.searcher), findings(ctx.searcher)
    except FindingsUnavailableError:
        stated, items = [], []
    for source in sources:
        report = reports.get(source)
        if report is None:
            continue
        from ingest.dates import format_period

        mine = [g for g in stated if g.source == source]
        found = [f for f in items if f.finding.source == source]
        with st.container(border=True):
            st.markdown(f"**Extracted from {md_text(source)}**")
            st.caption(md_text(
                f"{report['force'] or 'no force'} · "
                f"{format_period(report['year'], report.get('year_to')) or 'undated'}"
                f" · {REPORT_TYPES.get(report['report_type'], report['report_type'])} · {report['title']}"))
            st.caption(md_text(f"{plural(report['n_sections'], 'section')}, {plural(report['n_chunks'], 'passage')}, "
                               f"{plural(len(mine), 'grade')}, {plural(len(found), 'finding')}"))
            if mine:
                st.caption(md_text("Grades: " + "; ".join(f"{area_label(g)}: {g.grade}" for g in mine)))


def page_add(ctx: Context) -> None:
    st.title("Add reports")
    st.markdown(md_text(
        f"Upload inspection reports (PDF, HTML, DOCX or text, up to {file_size(readers.MAX_FILE_BYTES)} each). Each file "
        "is read first and what was detected is shown for you to correct; then it is added to the index. The "
        f"reports already indexed stay. Files are kept in {upload_dir()}."))
    for level, message in st.session_state.pop("upload_messages", []):
        getattr(st, level)(md_text(message))
    if st.session_state.get("just_added"):
        extracted(ctx, st.session_state.pop("just_added"))
    generation = st.session_state.setdefault("uploader_generation", 0)
    files = st.file_uploader("Reports", type=UPLOAD_TYPES, accept_multiple_files=True, key=f"uploader_{generation}",
                             max_upload_size=max(1, math.ceil(readers.MAX_FILE_BYTES / 2**20)))
    if not files:
        return
    indexed = ctx.searcher.manifest["reports"]
    accepted: list[tuple[Candidate, dict[str, str]]] = []
    refused: list[Candidate] = []
    taken: set[str] = set()
    with st.spinner("Reading the files…"):
        candidates = []
        for upload in files:
            candidate = check_upload(upload, indexed, taken)
            if candidate.found is not None and candidate.name:
                taken.add(candidate.name)
            candidates.append(candidate)
    st.subheader("What was detected")
    for n, candidate in enumerate(candidates):
        if candidate.found is None:
            refused.append(candidate)
            getattr(st, candidate.level)(md_text(candidate.problem))
        else:
            accepted.append((candidate, review(candidate, n)))
    if st.button(f"Add {plural(len(accepted), 'report')} to the index", type="primary", disabled=not accepted,
                 key="add_uploads"):
        messages = [(c.level, c.problem or "") for c in refused]
        st.session_state["upload_messages"] = messages + add(ctx, accepted)
        st.session_state["uploader_generation"] = generation + 1  # a fresh, empty uploader
        st.rerun()
