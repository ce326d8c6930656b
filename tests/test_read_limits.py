"""The pieces behind bounded reading: the limits object, the bounded worker process, regular-file
checks, discovery and ``read_reports``."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from conftest import LETTER, PEEL_2015

from ingest.chunk import ChunkingParams, chunk_report
from ingest.files import display_name, file_sha256, read_regular_file, regular_file_problem
from ingest.isolation import BoundedWorker, CallFailed, CallOutOfMemory, CallTimedOut, WorkerDied
from ingest.limits import LIMIT_SETTINGS, LimitExceeded, LimitSettingError, ReadLimits
from ingest.pipeline import ingest_path, read_reports
from ingest.readers import read_document
from ingest.types import IngestError

LETTER_TEXT = LETTER.read_text(encoding="utf-8")
MB = 1024 * 1024

# ---------------------------------------------------------------- ReadLimits


def test_defaults_and_environment_variables() -> None:
    assert ReadLimits.from_env({}) == ReadLimits()
    limits = ReadLimits.from_env({"INSPECTQA_MAX_FILE_MB": "2", "INSPECTQA_MAX_REPORT_CHARS": "1_000",
                                  "INSPECTQA_MAX_RUN_CHARS": "300", "INSPECTQA_MAX_PDF_PAGES": "10",
                                  "INSPECTQA_MAX_PDF_OBJECTS": "99", "INSPECTQA_FILE_SECONDS": "2.5",
                                  "INSPECTQA_FILE_MEMORY_MB": "512"})
    assert limits == ReadLimits(max_file_bytes=2 * MB, max_report_chars=1000, max_run_chars=300, max_pdf_pages=10,
                                max_pdf_objects=99, file_seconds=2.5, file_memory_bytes=512 * MB)
    assert set(LIMIT_SETTINGS) == set(ReadLimits.__dataclass_fields__)
    assert len({setting.env for setting in LIMIT_SETTINGS.values()}) == len(LIMIT_SETTINGS)


@pytest.mark.parametrize(("env", "value"), [("INSPECTQA_MAX_PDF_PAGES", "lots"), ("INSPECTQA_MAX_PDF_PAGES", "2.5"),
                                            ("INSPECTQA_FILE_SECONDS", "-1"), ("INSPECTQA_FILE_MEMORY_MB", "0"),
                                            ("INSPECTQA_MAX_REPORT_CHARS", "inf")])
def test_a_bad_setting_names_its_variable(env: str, value: str) -> None:
    with pytest.raises(LimitSettingError) as caught:
        ReadLimits.from_env({env: value})
    message = str(caught.value)
    assert message.startswith(f"{env}: {value!r} is not a positive limit") and "unset it" in message
    assert isinstance(caught.value, IngestError)  # so the command line shows it as one line


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_pdf_pages"):
        ReadLimits(max_pdf_pages=0)


def test_every_breach_names_the_limit_and_its_setting() -> None:
    limits = ReadLimits()
    for name, setting in LIMIT_SETTINGS.items():
        error = limits.exceeded("report.pdf", name, "it is too much", "split it")
        assert isinstance(error, LimitExceeded) and error.setting == setting.env
        assert str(error) == f"report.pdf: it is too much, over the {limits.shown(name)} limit: split it or raise " \
                             f"{setting.env}"
    assert limits.shown("file_memory_bytes") == "2,048 MB" and limits.shown("max_pdf_pages") == "3,000-page"


# ---------------------------------------------------------------- the reader's own limits


def test_character_and_run_limits_are_inclusive(tmp_path: Path) -> None:
    path = tmp_path / "runs.txt"
    path.write_text(LETTER_TEXT + "\n\n" + "x" * 50 + "\n", encoding="utf-8")
    limits = ReadLimits(max_run_chars=50)
    assert read_document(path, limits=limits).text.rstrip().endswith("x" * 50)
    path.write_text(LETTER_TEXT + "\n\n" + "x" * 51 + "\n", encoding="utf-8")
    with pytest.raises(LimitExceeded) as caught:
        read_document(path, limits=limits)
    assert "51 characters in a row" in str(caught.value) and caught.value.setting == "INSPECTQA_MAX_RUN_CHARS"
    text = read_document(LETTER, limits=ReadLimits()).text
    assert read_document(LETTER, limits=ReadLimits(max_report_chars=len(text))).text == text
    with pytest.raises(LimitExceeded, match="INSPECTQA_MAX_REPORT_CHARS"):
        read_document(LETTER, limits=ReadLimits(max_report_chars=len(text) - 1))


def test_the_run_check_is_linear_in_the_text(tmp_path: Path) -> None:
    """Runs just under the limit, back to back: a search that restarted inside each run would take
    quadratic time; this finishes (and finds no run over the limit)."""
    path = tmp_path / "runs.txt"
    path.write_text(LETTER_TEXT + "\n\n" + ("y" * 99_999 + " ") * 40, encoding="utf-8")
    assert read_document(path).text.rstrip().endswith(" " + "y" * 99_999)


def test_html_and_docx_stop_at_the_character_limit(tmp_path: Path) -> None:
    import docx

    html = tmp_path / "long.html"
    html.write_text("<html><body>" + "<p>The force keeps victims informed.</p>" * 2000 + "</body></html>",
                    encoding="utf-8")
    word = tmp_path / "long.docx"
    document = docx.Document()
    for _ in range(2000):
        document.add_paragraph("The force keeps victims informed.")
    document.save(word)
    for path in (html, word):
        assert read_document(path).text.count("victims") == 2000
        with pytest.raises(LimitExceeded, match="INSPECTQA_MAX_REPORT_CHARS"):
            read_document(path, limits=ReadLimits(max_report_chars=10_000))


# ---------------------------------------------------------------- the bounded worker


def allocate(megabytes: int) -> int:
    """Run in the worker (imported there by name): hold ``megabytes`` of memory at once."""
    return len(bytearray(megabytes * MB))


def test_worker_returns_typed_values_and_reports_failures() -> None:
    with BoundedWorker() as worker:
        assert worker.call(divmod, 17, 5, seconds=30, memory_bytes=512 * MB, returns=tuple[int, int]) == (3, 2)
        with pytest.raises(CallFailed) as caught:
            worker.call(divmod, 1, 0, seconds=30, memory_bytes=None)
        assert caught.value.kind == "ZeroDivisionError"
        with pytest.raises(CallFailed, match="expected str"):  # an answer that is not the type asked for
            worker.call(divmod, 9, 2, seconds=30, memory_bytes=None, returns=tuple[str, str])
        with pytest.raises(CallFailed, match="not JSON serializable"):  # only data comes back
            worker.call(bytearray, 3, seconds=30, memory_bytes=None)
        assert worker.call(divmod, 9, 2, seconds=30, memory_bytes=None) == [4, 1]  # still serving


@pytest.mark.timeout(60)
def test_worker_is_killed_at_its_wall_time_and_replaced() -> None:
    with BoundedWorker() as worker:
        worker.call(abs, -1, seconds=30, memory_bytes=None)  # started: only the call counts below
        pid = worker.call(os.getpid, seconds=30, memory_bytes=None)
        with pytest.raises(CallTimedOut):
            worker.call(time.sleep, 30, seconds=0.5, memory_bytes=None)
        with pytest.raises(ProcessLookupError):  # killed, not left sleeping
            os.kill(pid, 0)
        assert worker.call(abs, -2, seconds=30, memory_bytes=None) == 2


@pytest.mark.timeout(60)
def test_worker_memory_limit_and_crashes() -> None:
    with BoundedWorker() as worker:
        with pytest.raises(CallOutOfMemory):
            worker.call(allocate, 2048, seconds=30, memory_bytes=512 * MB)
        assert worker.call(allocate, 100, seconds=30, memory_bytes=512 * MB) == 100 * MB
        with pytest.raises(WorkerDied) as died:
            worker.call(os._exit, 3, seconds=30, memory_bytes=None)
        assert died.value.exitcode == 3
        with pytest.raises(CallOutOfMemory):  # an abort from native code, as a failed allocation does
            worker.call(os.abort, seconds=30, memory_bytes=None)
        assert worker.call(abs, -3, seconds=30, memory_bytes=None) == 3


def test_worker_ends_when_closed() -> None:
    worker = BoundedWorker()
    pid = worker.call(os.getpid, seconds=30, memory_bytes=None)
    assert pid != os.getpid()
    worker.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


# ---------------------------------------------------------------- regular files


@pytest.mark.timeout(30)
def test_regular_file_checks_never_block(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    for check in (lambda: read_regular_file(fifo, max_bytes=100), lambda: file_sha256(fifo)):
        with pytest.raises(IngestError, match="named pipe"):
            check()
    assert "named pipe" in str(regular_file_problem(fifo))
    assert "device" in str(regular_file_problem("/dev/zero"))
    assert "folder" in str(regular_file_problem(tmp_path))
    assert regular_file_problem(LETTER) is None
    assert file_sha256(LETTER) == read_document(LETTER).content_hash


def test_display_name_escapes_control_characters() -> None:
    assert display_name("a\x1b[2Jb\nc\td\x7f.txt") == "a\\x1b[2Jb\\nc\\td\\x7f.txt"
    assert display_name("rapport d’inspection – Zoë 報告.txt") == "rapport d’inspection – Zoë 報告.txt"


# ---------------------------------------------------------------- read_reports


def test_read_reports_gives_every_path_a_result_and_chunks_in_the_worker(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(LETTER_TEXT, encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"")
    (tmp_path / ".c.txt").write_text(LETTER_TEXT, encoding="utf-8")
    params = ChunkingParams()
    results = list(read_reports([tmp_path, tmp_path / "missing.txt", PEEL_2015], chunking=params))
    assert [(Path(r.path).name, r.status) for r in results] == [
        ("missing.txt", "error"), (".c.txt", "skipped"), ("a.txt", "read"), ("b.txt", "error"),
        (PEEL_2015.name, "read")]
    assert "empty file" in results[3].error
    peel = results[4]
    assert peel.chunks == tuple(chunk_report(ingest_path(PEEL_2015, isolate=False), params))
    assert read_reports([]) is not None and list(read_reports([])) == []


def test_read_reports_names_the_limit_breached(tmp_path: Path) -> None:
    results = list(read_reports([LETTER], ReadLimits(max_report_chars=100)))
    assert len(results) == 1 and results[0].status == "error" and results[0].limit == "INSPECTQA_MAX_REPORT_CHARS"


def test_bounded_and_in_process_reading_agree() -> None:
    assert ingest_path(PEEL_2015) == ingest_path(PEEL_2015, isolate=False)


# ---------------------------------------------------------------- what comes back from the worker


def test_reports_and_chunks_travel_as_checked_json() -> None:
    from ingest.transport import TransportError, dumps, from_data, loads, to_data
    from ingest.types import Chunk, Report

    report = ingest_path(PEEL_2015, isolate=False)
    assert any(section.figures for section in report.sections) or report.footnotes
    assert loads(Report, dumps(report)) == report
    chunks = tuple(chunk_report(report))
    assert loads(tuple[Chunk, ...], dumps(chunks)) == chunks
    data = to_data(report)
    data["sections"][0]["level"] = "1"
    with pytest.raises(TransportError, match=r"sections\[0\]\.level: expected int"):
        from_data(Report, data)
    data = to_data(report)
    data["meta"]["shell"] = "rm -rf /"
    with pytest.raises(TransportError, match="no field 'shell'"):
        from_data(Report, data)
    with pytest.raises(TransportError, match="not JSON"):
        loads(Report, b"\x80\x04\x95")  # a pickle is refused, never loaded


def test_names_in_file_errors_are_escaped_once(tmp_path: Path) -> None:
    missing = tmp_path / "gone\x1b[2J.txt"
    with pytest.raises(IngestError) as caught:
        read_regular_file(missing, max_bytes=100)
    assert "gone\\x1b[2J.txt" in str(caught.value) and "\\\\x1b" not in str(caught.value)
    link = tmp_path / "link.txt"
    link.symlink_to("target\n.txt")
    message = str(regular_file_problem(link))
    assert "'target\\n.txt', which does not exist" in message and "\n" not in message


def test_a_file_rewritten_with_its_old_size_and_time_is_hashed_again(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A build re-checks every report file: a file hashed before is not read again while its stat
    is the same, but a rewrite is seen even when its size and modification time are put back."""
    import hashlib
    import os

    import ingest.files as files

    monkeypatch.setattr(files, "_SETTLED_NS", 0)
    monkeypatch.setattr(files, "_hashed", {})
    report = tmp_path / "report.txt"
    report.write_text("The force is good at preventing crime.", encoding="utf-8")
    before = os.stat(report)
    first = file_sha256(report)
    assert first == hashlib.sha256(report.read_bytes()).hexdigest() and first in files._hashed.values()
    assert file_sha256(report) == first  # remembered
    report.write_text("The force is poor at preventing crime.", encoding="utf-8")  # same length
    os.utime(report, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(report).st_size == before.st_size and os.stat(report).st_mtime_ns == before.st_mtime_ns
    assert file_sha256(report) == hashlib.sha256(report.read_bytes()).hexdigest() != first
