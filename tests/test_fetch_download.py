"""Downloading by URL against a local server: the cache, resuming, limits and refusals."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import pytest

from ingest.fetch import download, place, read_url_list
from ingest.fetch_types import (
    ConnectionDropped,
    FetchSettings,
    FetchTimeout,
    InvalidURL,
    NotFound,
    TooLarge,
    UnsupportedType,
)
from ingest.readers import read_document
from tests.site_server import Plan, serve_site
from tests.site_server import make_client as client_for

PDF = "/wp-content/uploads/peel-police-efficiency-2016-norfolk.pdf"
PAGE = "/peel-assessments/peel-2016/norfolk/"
MB = 1024 * 1024


@pytest.fixture
def site():
    with serve_site() as server:
        yield server




def served(site, path: str) -> bytes:
    found = site.content(path)
    assert found is not None
    return found[0]


def cached_objects(cache: Path) -> list[Path]:
    return sorted(p for p in (cache / "objects").rglob("*") if p.is_file())


def partials(cache: Path) -> list[Path]:
    return sorted((cache / "partial").glob("*.part"))


def assert_one_line_with_advice(error, url: str) -> None:
    assert url in str(error) and "\n" not in str(error) and ": " in error.reason


# ---------------------------------------------------------------- a download and the cache


def test_a_pdf_is_stored_complete_under_its_content_hash(site, tmp_path: Path) -> None:
    client, _ = client_for(site)
    got = download(site.url + PDF, tmp_path, client=client)
    body = served(site, PDF)
    assert got.path.read_bytes() == body
    assert got.content_hash == hashlib.sha256(body).hexdigest() and got.size == len(body)
    assert got.path.parent.parent == tmp_path / "objects" and got.path.name.startswith(got.content_hash)
    assert (got.format, got.content_type, got.from_cache) == ("pdf", "application/pdf", False)
    assert got.final_url == got.url == site.url + PDF
    assert datetime.fromisoformat(got.fetched_at).tzinfo is not None
    assert got.name == "peel-police-efficiency-2016-norfolk.pdf"
    assert "Police efficiency 2016" in read_document(got.path).text
    assert partials(tmp_path) == []


def test_a_page_is_named_from_its_whole_path(site, tmp_path: Path) -> None:
    client, _ = client_for(site)
    got = download(site.url + PAGE, tmp_path, client=client)
    assert got.format == "html"
    assert got.name == "peel-assessments-peel-2016-norfolk.html"


def test_a_second_download_revalidates_and_serves_the_cache(site, tmp_path: Path) -> None:
    client, _ = client_for(site)
    first = download(site.url + PDF, tmp_path, client=client)
    second = download(site.url + PDF, tmp_path, client=client)
    assert second.from_cache and second.path == first.path and second.fetched_at == first.fetched_at
    assert site.requests[-1].headers.get("if-none-match") == first.etag
    assert len(cached_objects(tmp_path)) == 1


def test_changed_content_replaces_the_cached_copy(site, tmp_path: Path) -> None:
    client, _ = client_for(site)
    site.bodies["/notes/report.txt"] = (b"First version of a short report about Norfolk Constabulary.\n", "text/plain")
    first = download(site.url + "/notes/report.txt", tmp_path, client=client)
    site.bodies["/notes/report.txt"] = (b"Second, corrected version of the report about Norfolk.\n", "text/plain")
    second = download(site.url + "/notes/report.txt", tmp_path, client=client)
    assert not second.from_cache and second.content_hash != first.content_hash
    assert second.path.read_bytes().startswith(b"Second")
    again = download(site.url + "/notes/report.txt", tmp_path, client=client)
    assert again.from_cache and again.content_hash == second.content_hash


def test_without_revalidation_the_cache_answers_without_a_request(site, tmp_path: Path) -> None:
    client, _ = client_for(site)
    download(site.url + PDF, tmp_path, client=client)
    quiet, _ = client_for(site, revalidate=False)
    before = len(site.requests)
    assert download(site.url + PDF, tmp_path, client=quiet).from_cache
    assert len(site.requests) == before


def test_identical_content_under_two_urls_is_stored_once(site, tmp_path: Path) -> None:
    body = b"The same inspection letter, published at two addresses on the site.\n"
    site.bodies["/letters/one.txt"] = (body, "text/plain")
    site.bodies["/archive/letters/one.txt"] = (body, "text/plain")
    client, _ = client_for(site)
    a = download(site.url + "/letters/one.txt", tmp_path, client=client)
    b = download(site.url + "/archive/letters/one.txt", tmp_path, client=client)
    assert a.path == b.path and a.url != b.url
    assert cached_objects(tmp_path) == [a.path]
    assert len(list((tmp_path / "urls").glob("*.json"))) == 2


def test_a_redirect_is_followed_and_the_final_address_kept(site, tmp_path: Path) -> None:
    site.redirects["/hmic/old-address.pdf"] = PDF
    client, _ = client_for(site)
    got = download(site.url + "/hmic/old-address.pdf", tmp_path, client=client)
    assert got.url.endswith("/hmic/old-address.pdf") and got.final_url == site.url + PDF
    assert got.name == "peel-police-efficiency-2016-norfolk.pdf"


# ---------------------------------------------------------------- dropped connections and resuming


def test_a_dropped_connection_leaves_no_half_file_and_a_rerun_resumes(site, tmp_path: Path) -> None:
    body = served(site, PDF)
    site.plan(PDF, Plan(drop_after=600))
    client, _ = client_for(site, retries=0)
    url = site.url + PDF
    with pytest.raises(ConnectionDropped) as caught:
        download(url, tmp_path, client=client)
    assert_one_line_with_advice(caught.value, url)
    assert "resume" in str(caught.value)
    assert cached_objects(tmp_path) == []  # nothing where a complete file is expected
    assert list((tmp_path / "urls").glob("*.json")) == []
    [part] = partials(tmp_path)
    assert part.read_bytes() == body[:600]

    got = download(url, tmp_path, client=client)
    resumed = site.requests[-1].headers
    assert resumed["range"] == "bytes=600-" and resumed["if-range"] == got.etag
    assert got.path.read_bytes() == body and got.content_hash == hashlib.sha256(body).hexdigest()
    assert partials(tmp_path) == []


def test_drops_are_retried_with_backoff_within_one_call(site, tmp_path: Path) -> None:
    body = served(site, PDF)
    site.plan(PDF, Plan(drop_after=300), Plan(drop_after=200))
    client, clock = client_for(site, retries=2)
    got = download(site.url + PDF, tmp_path, client=client)
    assert got.path.read_bytes() == body
    ranges = [seen.headers.get("range") for seen in site.requests if seen.path == PDF]
    assert ranges == [None, "bytes=300-", "bytes=500-"]
    assert clock.sleeps == [1.0, 2.0]


def test_a_server_that_ignores_range_restarts_cleanly(site, tmp_path: Path) -> None:
    body = served(site, PDF)
    site.plan(PDF, Plan(drop_after=700))
    client, _ = client_for(site, retries=0)
    with pytest.raises(ConnectionDropped):
        download(site.url + PDF, tmp_path, client=client)
    site.ignore_range = True
    got = download(site.url + PDF, tmp_path, client=client)
    assert site.requests[-1].headers["range"] == "bytes=700-"  # asked, answered with the whole body
    assert got.path.read_bytes() == body  # not the part followed by the whole
    assert got.size == len(body)


def test_a_part_the_server_no_longer_has_restarts(site, tmp_path: Path) -> None:
    site.bodies["/notes/long.txt"] = (b"A" * 5000 + b"\n", "text/plain")
    site.plan("/notes/long.txt", Plan(drop_after=4000))
    client, _ = client_for(site, retries=0)
    with pytest.raises(ConnectionDropped):
        download(site.url + "/notes/long.txt", tmp_path, client=client)
    site.bodies["/notes/long.txt"] = (b"Shorter now.\n" * 10, "text/plain")  # new ETag: If-Range fails
    got = download(site.url + "/notes/long.txt", tmp_path, client=client)
    assert got.path.read_bytes() == b"Shorter now.\n" * 10


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize("status", [404, 410])
def test_a_missing_document_is_not_found(site, tmp_path: Path, status: int) -> None:
    site.plan(PDF, Plan(status=status))
    client, _ = client_for(site)
    with pytest.raises(NotFound) as caught:
        download(site.url + PDF, tmp_path, client=client)
    assert_one_line_with_advice(caught.value, site.url + PDF)
    assert f"HTTP {status}" in str(caught.value) and "check the address" in str(caught.value)
    assert cached_objects(tmp_path) == [] and partials(tmp_path) == []


def test_an_oversized_file_is_refused_from_its_content_length(site, tmp_path: Path) -> None:
    site.plan("/big/report.pdf", Plan(oversize=3 * MB))
    client, _ = client_for(site, max_bytes=1 * MB)
    with pytest.raises(TooLarge) as caught:
        download(site.url + "/big/report.pdf", tmp_path, client=client)
    assert "3.0 MB" in str(caught.value) and "INSPECTQA_MAX_FILE_MB" in str(caught.value)
    assert "says" in str(caught.value)  # refused from the header, before reading the body
    assert cached_objects(tmp_path) == [] and partials(tmp_path) == []


def test_an_oversized_body_without_length_stops_while_streaming(site, tmp_path: Path) -> None:
    site.plan("/big/report.pdf", Plan(oversize=3 * MB, send_length=False))
    client, _ = client_for(site, max_bytes=1 * MB)
    with pytest.raises(TooLarge) as caught:
        download(site.url + "/big/report.pdf", tmp_path, client=client)
    assert "grew past" in str(caught.value)
    assert cached_objects(tmp_path) == [] and partials(tmp_path) == []


def test_a_type_that_is_never_a_report_is_refused_unread(site, tmp_path: Path) -> None:
    site.bodies["/images/logo.png"] = (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "image/png")
    client, _ = client_for(site)
    with pytest.raises(UnsupportedType) as caught:
        download(site.url + "/images/logo.png", tmp_path, client=client)
    assert "image/png" in str(caught.value)
    assert cached_objects(tmp_path) == [] and partials(tmp_path) == []


def test_an_unlabelled_body_is_judged_by_its_bytes(site, tmp_path: Path) -> None:
    site.bodies["/get?id=1"] = (served(site, PDF), "application/octet-stream")
    site.bodies["/get"] = site.bodies["/get?id=1"]
    site.bodies["/img"] = (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "application/octet-stream")
    client, _ = client_for(site)
    assert download(site.url + "/get?id=1", tmp_path, client=client).format == "pdf"
    with pytest.raises(UnsupportedType, match="PNG"):
        download(site.url + "/img", tmp_path, client=client)


def test_a_page_served_as_pdf_is_refused(site, tmp_path: Path) -> None:
    site.bodies["/fake.pdf"] = (b"<!DOCTYPE html><html><body><h1>Access denied</h1></body></html>", "application/pdf")
    client, _ = client_for(site)
    with pytest.raises(UnsupportedType, match="calls it a PDF"):
        download(site.url + "/fake.pdf", tmp_path, client=client)
    assert cached_objects(tmp_path) == []


def test_an_empty_body_is_refused(site, tmp_path: Path) -> None:
    site.bodies["/empty.txt"] = (b"", "text/plain")
    client, _ = client_for(site)
    with pytest.raises(UnsupportedType, match="empty"):
        download(site.url + "/empty.txt", tmp_path, client=client)


def test_a_server_too_slow_to_answer_times_out(site, tmp_path: Path) -> None:
    site.plan(PDF, Plan(delay=1.0))
    client, _ = client_for(site, read_timeout=0.1, retries=0)
    with pytest.raises(FetchTimeout) as caught:
        download(site.url + PDF, tmp_path, client=client)
    assert "0.1 s" in str(caught.value) and "raise the read timeout" in str(caught.value)


def test_a_slow_answer_is_retried(site, tmp_path: Path) -> None:
    site.plan(PDF, Plan(delay=1.0))
    client, clock = client_for(site, read_timeout=0.1, retries=1)
    assert download(site.url + PDF, tmp_path, client=client).size > 0
    assert clock.sleeps == [1.0]


@pytest.mark.parametrize("bad", ["ftp://example.org/report.pdf", "report.pdf", "https:///x.pdf",
                                 "https://example.org/a b.pdf", "http://example.org:99999/x.pdf"])
def test_an_address_that_is_not_a_web_address_is_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(InvalidURL) as caught:
        download(bad, tmp_path, FetchSettings(min_interval=0.0))
    assert "\n" not in str(caught.value)


# ---------------------------------------------------------------- helpers for the command line


def test_read_url_list_skips_comments_blanks_and_repeats(tmp_path: Path) -> None:
    listing = tmp_path / "urls.txt"
    listing.write_text("# reports to add\n\nhttps://example.org/a.pdf\n  https://example.org/b/  \n"
                       "https://example.org/a.pdf#page=2\n", encoding="utf-8")
    assert read_url_list(listing) == ["https://example.org/a.pdf", "https://example.org/b/"]
    listing.write_text("https://example.org/a.pdf\nexample.org/b.pdf\n", encoding="utf-8")
    with pytest.raises(InvalidURL, match="line 2"):
        read_url_list(listing)


def test_place_puts_a_complete_copy_in_a_folder(site, tmp_path: Path) -> None:
    client, _ = client_for(site)
    got = download(site.url + PDF, tmp_path / "cache", client=client)
    placed = place(got, tmp_path / "reports")
    assert placed == tmp_path / "reports" / "peel-police-efficiency-2016-norfolk.pdf"
    assert placed.read_bytes() == got.path.read_bytes()
    assert [p.name for p in (tmp_path / "reports").iterdir()] == [placed.name]


def test_the_url_record_says_what_was_fetched(site, tmp_path: Path) -> None:
    client, _ = client_for(site)
    got = download(site.url + PDF, tmp_path, client=client)
    [record_file] = (tmp_path / "urls").glob("*.json")
    record = json.loads(record_file.read_text())
    assert record["url"] == got.url and record["content_hash"] == got.content_hash
    assert (tmp_path / record["object"]) == got.path


def test_two_downloads_of_one_address_at_once_fetch_it_once(site, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    site.plan(PDF, Plan(delay=0.3))
    clients = [client_for(site)[0] for _ in range(2)]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda c: download(site.url + PDF, tmp_path, client=c), clients))
    assert sorted(r.from_cache for r in results) == [False, True]
    assert len(cached_objects(tmp_path)) == 1 and partials(tmp_path) == []
    gets = [seen.headers.get("if-none-match") for seen in site.requests if seen.path == PDF]
    assert gets == [None, results[0].etag]
