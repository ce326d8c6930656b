"""Reports in from the command line, end to end against the fixture site (tests/site_server.py):
`inspectqa index URL...`, `--urls FILE`, `inspectqa fetch`, and corrections by sidecar and `--meta`.

The CLI runs in-process with the keyword encoder; fetching uses the site on 127.0.0.1 with no rate
limit and one quick retry.
"""

from __future__ import annotations

import json
import socket
import sqlite3
from pathlib import Path

import pytest
from conftest import KeywordEmbedder

from ingest.fetch_types import FetchSettings
from search import cli
from search.index.corrections import cache_dir, downloads_dir, read_sources
from tests.site_server import Plan, serve_site

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "reports"
NORFOLK = "Norfolk Constabulary"
PEEL_2016 = "/peel-assessments/peel-2016/norfolk/"
EFFECTIVENESS_PDF = "/wp-content/uploads/peel-police-effectiveness-2016-norfolk.pdf"
CDI_PDF = "/wp-content/uploads/norfolk-crime-data-integrity-inspection-2016.pdf"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = cli.main(list(argv))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("inspectqa: ")]


def manifest(index_dir: Path) -> dict:
    return json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))


def segment_stores(index_dir: Path) -> list[tuple[Path, set[str]]]:
    """The chunk store of each segment of the live generation, with the reports live in it."""
    live = manifest(index_dir)
    generation = index_dir / live["generation"]
    return [(generation / s["name"] / "chunks.sqlite",
             {source for source, info in live["reports"].items() if info["segment"] == s["name"]})
            for s in live["segments"]]


def stored_reports(index_dir: Path) -> dict[str, dict]:
    """The reports table of the live generation, by source."""
    out = {}
    for path, sources in segment_stores(index_dir):
        con = sqlite3.connect(path)
        con.row_factory = sqlite3.Row
        try:
            out.update({r["source"]: dict(r) for r in con.execute("SELECT * FROM reports") if r["source"] in sources})
        finally:
            con.close()
    return out


@pytest.fixture
def keyword_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("search.retrieve.searcher.default_embedder", KeywordEmbedder)
    monkeypatch.setattr("search.embed.default_embedder", KeywordEmbedder)


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch, keyword_encoder: None):
    with serve_site() as server:
        settings = FetchSettings(site_url=server.url, min_interval=0.0, retries=1, backoff_base=0.01, backoff_max=0.02)
        monkeypatch.setattr("search.sources.fetch_settings", lambda: settings)
        yield server


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


# ---------------------------------------------------------------- inspectqa index URL...


def test_index_by_url_with_urls_file_and_a_path(capsys, site, index_dir: Path, tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text(f"# reports to add\n{site.url}{EFFECTIVENESS_PDF}\n\n{site.url}{PEEL_2016}\n", encoding="utf-8")
    code, out, err = run(capsys, "index", f"{site.url}{PEEL_2016}", str(FIXTURES / "peel2015_lancashire.txt"),
                         "--urls", str(urls), "--index-dir", str(index_dir), "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert [d["url"] for d in summary["downloads"]] == [f"{site.url}{PEEL_2016}", f"{site.url}{EFFECTIVENESS_PDF}"]
    assert all(d["error"] is None for d in summary["downloads"])
    reports = stored_reports(index_dir)
    assert set(reports) == {"peel2015_lancashire.txt", "peel-assessments-peel-2016-norfolk.html",
                            "peel-police-effectiveness-2016-norfolk.pdf"}
    pdf = reports["peel-police-effectiveness-2016-norfolk.pdf"]
    assert (pdf["force"], pdf["year"], pdf["report_type"]) == (NORFOLK, 2016, "peel_effectiveness")
    assert reports["peel2015_lancashire.txt"]["force"] == "Lancashire Constabulary"
    sources = read_sources(index_dir)
    assert sources["peel-police-effectiveness-2016-norfolk.pdf"].url == f"{site.url}{EFFECTIVENESS_PDF}"
    assert all((downloads_dir(index_dir) / name).is_file() for name in sources)
    assert site.paths().count(PEEL_2016) == 1  # an address listed twice is fetched once


def test_a_failed_address_is_one_line_and_the_others_are_indexed(capsys, site, index_dir: Path) -> None:
    site.plan("/uploads/big.pdf", Plan(oversize=60 * 1024 * 1024))
    bad = {"/missing-report.pdf": "not found", "/uploads/big.pdf": "INSPECTQA_MAX_FILE_MB",
           "/about-us/what-we-do/": "does not read as an inspection report"}
    code, _out, err = run(capsys, "index", *(site.url + p for p in [*bad, EFFECTIVENESS_PDF]),
                          "--index-dir", str(index_dir))
    assert code == 0, err
    lines = error_lines(err)
    assert len(lines) == 3 and "Traceback" not in err
    for path, words in bad.items():
        assert any(site.url + path in line and words in line for line in lines), (path, lines)
    assert set(manifest(index_dir)["reports"]) == {"peel-police-effectiveness-2016-norfolk.pdf"}
    assert not any(downloads_dir(index_dir).glob("big*")) and not any(downloads_dir(index_dir).glob("missing*"))

    site.plan("/uploads/big.pdf", Plan(oversize=60 * 1024 * 1024))
    code, _out, err = run(capsys, "index", site.url + "/uploads/big.pdf", site.url + EFFECTIVENESS_PDF, "--strict",
                          "--index-dir", str(index_dir))
    assert code == 1 and len(error_lines(err)) == 1


def test_only_failed_addresses_index_nothing_and_exit_1(capsys, site, index_dir: Path) -> None:
    code, _out, err = run(capsys, "index", site.url + "/missing-report.pdf", "--index-dir", str(index_dir))
    assert code == 1
    assert "not found" in err and "no report could be indexed" in err
    assert not (index_dir / "manifest.json").exists()


def test_a_dropped_connection_leaves_no_half_file_indexed_and_a_rerun_resumes(capsys, site, index_dir: Path) -> None:
    site.plan(CDI_PDF, Plan(drop_after=200), Plan(drop_after=200))  # every attempt (1 + 1 retry) drops
    argv = ("index", site.url + CDI_PDF, site.url + EFFECTIVENESS_PDF, "--index-dir", str(index_dir))
    code, _out, err = run(capsys, *argv)
    assert code == 0
    assert any(CDI_PDF in line and "run the same command again" in line for line in error_lines(err))
    assert set(manifest(index_dir)["reports"]) == {"peel-police-effectiveness-2016-norfolk.pdf"}
    assert not list(downloads_dir(index_dir).glob("norfolk-crime-data*"))
    assert not [p for p in (cache_dir(index_dir) / "objects").rglob("*") if p.is_file() and p.stat().st_size == 200]
    assert any(p.stat().st_size > 0 for p in (cache_dir(index_dir) / "partial").glob("*.part"))

    code, _out, err = run(capsys, *argv)
    assert code == 0 and not error_lines(err)
    assert "norfolk-crime-data-integrity-inspection-2016.pdf" in manifest(index_dir)["reports"]
    ranged = [seen for seen in site.requests if seen.path == CDI_PDF and "range" in seen.headers]
    assert ranged and ranged[-1].headers["range"].startswith("bytes=")  # resumed, not restarted


def test_a_failed_download_keeps_the_copy_downloaded_before(capsys, site, index_dir: Path) -> None:
    argv = ("index", site.url + CDI_PDF, "--index-dir", str(index_dir))
    assert run(capsys, *argv)[0] == 0
    site.plan(CDI_PDF, Plan(status=404))
    code, _out, err = run(capsys, *argv)
    assert code == 0 and "indexing the copy downloaded before" in err
    assert "norfolk-crime-data-integrity-inspection-2016.pdf" in manifest(index_dir)["reports"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_offline_index_is_one_line_and_fetch_exits_2(capsys, monkeypatch, keyword_encoder, index_dir: Path) -> None:
    dead = f"http://127.0.0.1:{_closed_port()}"
    settings = FetchSettings(site_url=dead, min_interval=0.0, retries=0, connect_timeout=2)
    monkeypatch.setattr("search.sources.fetch_settings", lambda: settings)
    code, _out, err = run(capsys, "index", dead + EFFECTIVENESS_PDF, "--index-dir", str(index_dir))
    assert code == 1 and "check your internet connection" in error_lines(err)[0]
    code, _out, err = run(capsys, "fetch", "--force", "Norfolk", "--index-dir", str(index_dir))
    assert code == 2
    assert len(error_lines(err)) == 1 and "check your internet connection" in err and "Traceback" not in err


# ---------------------------------------------------------------- inspectqa fetch


def test_fetch_a_force_by_year_and_type_adds_to_the_index(capsys, site, index_dir: Path) -> None:
    assert run(capsys, "index", str(FIXTURES / "peel2015_lancashire.txt"), "--index-dir", str(index_dir))[0] == 0
    code, _out, err = run(capsys, "fetch", "--force", "Norfolk", "--years", "2016", "--type", "peel",
                          "--index-dir", str(index_dir))
    assert code == 0, err
    assert "reading " in err and "downloaded " in err  # progress
    reports = stored_reports(index_dir)
    fetched = {s: r for s, r in reports.items() if s != "peel2015_lancashire.txt"}
    assert set(fetched) == {"peel-assessments-peel-2016-norfolk.html", "peel-police-effectiveness-2016-norfolk.pdf",
                            "peel-police-efficiency-2016-norfolk.pdf", "peel-police-legitimacy-2016-norfolk.pdf"}
    assert {(r["force"], r["year"]) for r in fetched.values()} == {(NORFOLK, 2016)}
    assert all(r["report_type"].startswith("peel") for r in fetched.values())
    assert "peel2015_lancashire.txt" in reports  # fetch adds; it never drops what was indexed


def test_fetch_dry_run_lists_and_downloads_nothing(capsys, site, index_dir: Path) -> None:
    code, out, _err = run(capsys, "fetch", "--force", "Norfolk", "--years", "2018", "--dry-run",
                          "--index-dir", str(index_dir))
    assert code == 0
    listed = [line.split()[-1].removeprefix(site.url) for line in out.splitlines() if not line.startswith("left out")]
    assert listed == ["/peel-assessments/peel-2018/norfolk/", "/uploads/peel-assessment-2018-19-norfolk.pdf"]
    assert "left out: " in out and not (index_dir / "manifest.json").exists()
    assert not any(p.endswith(".pdf") for p in site.paths())


@pytest.mark.parametrize(("argv", "words"), [
    (["--force", "Atlantis"], "not a police force"),
    (["--force", "Norfolk", "--type", "podcast"], "podcast"),
    (["--force", "Norfolk", "--years", "sixteen"], "2014-2017"),
])
def test_fetch_usage_errors_exit_2(capsys, site, index_dir: Path, argv: list[str], words: str) -> None:
    code, _out, err = run(capsys, "fetch", *argv, "--index-dir", str(index_dir))
    assert code == 2 and len(error_lines(err)) == 1 and words in err


def test_index_with_nothing_to_index_is_a_usage_error(capsys, index_dir: Path, tmp_path: Path) -> None:
    assert run(capsys, "index", "--index-dir", str(index_dir))[0] == 2
    urls = tmp_path / "urls.txt"
    urls.write_text("https://hmicfrs.justiceinspectorates.gov.uk/x.pdf\nnot an address\n", encoding="utf-8")
    code, _out, err = run(capsys, "index", "--urls", str(urls), "--index-dir", str(index_dir))
    assert code == 2 and "line 2" in err


# ---------------------------------------------------------------- sidecars and --meta


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "reports"
    folder.mkdir()
    for name in ("peel2015_lancashire.txt", "peel2018_norfolk.txt", "cdi_2020_gmp.txt"):
        (folder / name).write_bytes((FIXTURES / name).read_bytes())
    return folder


def test_a_sidecar_and_a_csv_row_override_detection_in_the_index(capsys, keyword_encoder, corpus: Path,
                                                                  index_dir: Path, tmp_path: Path) -> None:
    (corpus / "peel2015_lancashire.txt.meta.json").write_text(json.dumps(
        {"force": "Cumbria", "year": "2016/17", "report_type": "custody"}), encoding="utf-8")
    meta = tmp_path / "meta.csv"
    meta.write_text("source,force,year,type\ncdi_2020_gmp.txt,the Met,2019,Crime data integrity inspection\n",
                    encoding="utf-8")
    code, _out, err = run(capsys, "index", str(corpus), "--meta", str(meta), "--index-dir", str(index_dir))
    assert code == 0, err
    reports = stored_reports(index_dir)
    assert (reports["peel2015_lancashire.txt"]["force"], reports["peel2015_lancashire.txt"]["year"],
            reports["peel2015_lancashire.txt"]["report_type"]) == ("Cumbria Constabulary", 2016, "custody")
    assert (reports["cdi_2020_gmp.txt"]["force"], reports["cdi_2020_gmp.txt"]["year"]) == (
        "Metropolitan Police Service", 2019)
    assert reports["peel2018_norfolk.txt"]["force"] == NORFOLK  # no correction: as detected
    [path] = [path for path, sources in segment_stores(index_dir) if "peel2015_lancashire.txt" in sources]
    con = sqlite3.connect(path)
    themes = {row[0] for row in con.execute("SELECT theme FROM sections WHERE source = 'peel2015_lancashire.txt' "
                                            "AND kind NOT IN ('front_matter', 'contents')")}
    con.close()
    assert themes == {"custody"}  # a custody report's sections all take its theme

    # The sidecar changes: only that report is read and embedded again.
    (corpus / "peel2015_lancashire.txt.meta.json").write_text(json.dumps({"force": "Kent"}), encoding="utf-8")
    code, out, _err = run(capsys, "index", str(corpus), "--meta", str(meta), "--index-dir", str(index_dir), "--json")
    summary = json.loads(out)
    status = {f["source"]: f["status"] for f in summary["files"]}
    assert status == {"peel2015_lancashire.txt": "updated", "peel2018_norfolk.txt": "unchanged",
                      "cdi_2020_gmp.txt": "unchanged"}
    assert summary["embedded_chunks"] == next(f["chunks"] for f in summary["files"]
                                              if f["source"] == "peel2015_lancashire.txt")
    assert stored_reports(index_dir)["peel2015_lancashire.txt"]["force"] == "Kent Police"

    # Without the CSV the row no longer applies, so that report is read again as detected.
    code, out, _err = run(capsys, "index", str(corpus), "--index-dir", str(index_dir), "--json")
    assert {f["source"]: f["status"] for f in json.loads(out)["files"]}["cdi_2020_gmp.txt"] == "updated"
    assert stored_reports(index_dir)["cdi_2020_gmp.txt"]["force"] == "Greater Manchester Police"


def test_a_bad_sidecar_fails_its_report_alone(capsys, keyword_encoder, corpus: Path, index_dir: Path) -> None:
    (corpus / "peel2018_norfolk.txt.meta.json").write_text('{"force": "Norfok"}', encoding="utf-8")
    code, _out, err = run(capsys, "index", str(corpus), "--index-dir", str(index_dir))
    assert code == 0
    assert any("peel2018_norfolk.txt" in line and "did you mean 'Norfolk Constabulary'" in line
               for line in error_lines(err))
    assert set(manifest(index_dir)["reports"]) == {"peel2015_lancashire.txt", "cdi_2020_gmp.txt"}


def test_a_bad_csv_is_a_usage_error_naming_the_row(capsys, keyword_encoder, corpus: Path, index_dir: Path,
                                                   tmp_path: Path) -> None:
    meta = tmp_path / "meta.csv"
    meta.write_text("source,force\npeel2018_norfolk.txt,Norfolk\ncdi_2020_gmp.txt,Gotham\n", encoding="utf-8")
    code, _out, err = run(capsys, "index", str(corpus), "--meta", str(meta), "--index-dir", str(index_dir))
    assert code == 2 and len(error_lines(err)) == 1
    assert "row 3" in err and "Gotham" in err
    assert not index_dir.exists() or not (index_dir / "manifest.json").exists()


def test_a_csv_row_by_url_corrects_a_downloaded_report(capsys, site, index_dir: Path, tmp_path: Path) -> None:
    url = site.url + EFFECTIVENESS_PDF
    meta = tmp_path / "meta.csv"
    meta.write_text(f"source,title,published\n{url},Norfolk effectiveness 2016,3 March 2017\n", encoding="utf-8")
    code, _out, err = run(capsys, "index", url, "--meta", str(meta), "--index-dir", str(index_dir))
    assert code == 0, err
    report = stored_reports(index_dir)["peel-police-effectiveness-2016-norfolk.pdf"]
    assert (report["title"], report["published"], report["force"]) == ("Norfolk effectiveness 2016", "2017-03-03",
                                                                       NORFOLK)


# ---------------------------------------------------------------- the source URL in hits and citations


def test_the_source_url_reaches_hits_citations_and_the_manifest(capsys, site, index_dir: Path) -> None:
    url = site.url + EFFECTIVENESS_PDF
    assert run(capsys, "index", url, str(FIXTURES / "peel2015_lancashire.txt"), "--index-dir", str(index_dir))[0] == 0
    reports = manifest(index_dir)["reports"]
    assert reports["peel-police-effectiveness-2016-norfolk.pdf"]["url"] == url
    assert reports["peel2015_lancashire.txt"]["url"] is None

    code, out, _err = run(capsys, "search", "How effective is Norfolk at preventing crime?", "--force", "Norfolk",
                          "--index-dir", str(index_dir), "--json")
    hits = json.loads(out)["hits"]
    assert code == 0 and hits and {h["url"] for h in hits} == {url}
    code, out, _err = run(capsys, "search", "How effective is Norfolk at preventing crime?", "--force", "Norfolk",
                          "--index-dir", str(index_dir))
    assert url in out

    code, out, _err = run(capsys, "ask", "How good is Norfolk at keeping people safe and reducing crime?", "--force", "Norfolk",
                          "--index-dir", str(index_dir), "--json")
    answer = json.loads(out)
    assert code == 0 and not answer["abstained"], answer
    assert answer["citations"] and {c["url"] for c in answer["citations"]} == {url}

    code, out, _err = run(capsys, "grades", "--force", "Norfolk", "--index-dir", str(index_dir), "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and rows and {r["url"] for r in rows} == {url}
