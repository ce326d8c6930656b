"""Discovering a force's reports on the fixture site (the inspectorate's structure) and bringing
them in end to end: discover, download, read, fill metadata from the site."""

from __future__ import annotations

import socket
from itertools import pairwise
from pathlib import Path

import pytest

from ingest.fetch import download
from ingest.fetch_types import FetchSettings, OfflineError
from ingest.httpclient import PoliteClient
from ingest.overrides import correct_meta
from ingest.pipeline import ingest_path
from ingest.site import (
    ForcePageNotFound,
    UnknownForce,
    UnknownReportType,
    discover_reports,
    force_slug,
    parse_years,
)
from tests.site_server import FakeClock, Plan, make_client, serve_site

NORFOLK = "Norfolk Constabulary"
ALL_NORFOLK = {
    "/peel-assessments/peel-2014/norfolk/": ("2014", "peel", "html"),
    "/wp-content/uploads/norfolk-domestic-abuse-2014.pdf": ("2014", "vulnerability", "pdf"),
    "/wp-content/uploads/norfolk-joint-inspection-of-police-custody-2015.pdf": ("2015", "custody", "pdf"),
    "/peel-assessments/peel-2016/norfolk/": ("2016", "peel", "html"),
    "/wp-content/uploads/peel-police-effectiveness-2016-norfolk.pdf": ("2016", "peel_effectiveness", "pdf"),
    "/wp-content/uploads/peel-police-efficiency-2016-norfolk.pdf": ("2016", "peel_efficiency", "pdf"),
    "/wp-content/uploads/peel-police-legitimacy-2016-norfolk.pdf": ("2016", "peel_legitimacy", "pdf"),
    "/wp-content/uploads/norfolk-crime-data-integrity-inspection-2016.pdf": ("2016", "crime_data_integrity", "pdf"),
    "/peel-assessments/peel-2018/norfolk/": ("2018/19", "peel", "html"),
    "/uploads/peel-assessment-2018-19-norfolk.pdf": ("2018/19", "peel", "pdf"),
    "/peel-reports/norfolk-2021-22/": ("2021/22", "peel", "html"),
    "/uploads/peel-assessment-2021-22-norfolk.pdf": ("2021/22", "peel", "pdf"),
    "/peel-reports/norfolk-2023-25/": ("2023–25", "peel", "html"),
}


@pytest.fixture
def site():
    with serve_site() as server:
        yield server


def client_for(site, **settings) -> PoliteClient:
    return make_client(site, **settings)[0]


def found(discovery, site) -> dict[str, tuple[str, str | None, str]]:
    return {d.url.removeprefix(site.url): (d.period, d.report_type, d.format) for d in discovery.documents}


def test_discovers_every_report_of_a_force_across_years_and_families(site) -> None:
    discovery = discover_reports("Norfolk", client=client_for(site))
    assert discovery.force == NORFOLK
    assert discovery.force_page == site.url + "/police-forces/norfolk/"
    assert found(discovery, site) == ALL_NORFOLK
    assert all(d.force == NORFOLK for d in discovery.documents)
    titles = {d.url.removeprefix(site.url): d.title for d in discovery.documents}
    assert titles["/wp-content/uploads/peel-police-efficiency-2016-norfolk.pdf"] == (
        "PEEL: Police efficiency 2016 – Norfolk Constabulary")
    assert titles["/uploads/peel-assessment-2021-22-norfolk.pdf"] == (
        "PEEL 2021/22: An inspection of Norfolk Constabulary")  # 'Download the full report (PDF)': the page's title


def test_national_reports_other_forces_and_non_report_pages_are_left_out(site) -> None:
    discovery = discover_reports("Norfolk", client=client_for(site))
    skipped = {s.url.removeprefix(site.url): s.reason for s in discovery.skipped}
    assert "national" in skipped["/wp-content/uploads/peel-police-effectiveness-2016-national-overview.pdf"]
    assert "national" in skipped["/wp-content/uploads/state-of-policing-2016.pdf"]
    assert "Suffolk" in skipped["/peel-assessments/peel-2016/suffolk/"]
    requested = set(site.paths())
    for not_a_report in ("/about-us/what-we-do/", "/news/news-feed/norfolk-peel-2016-press-release/",
                         "/search/", "/peel-assessments/peel-2016/suffolk/",
                         "/peel-assessments/peel-2016/norfolk/effectiveness/", "/accessibility/"):
        assert not_a_report not in requested
    # the listing continues on a second page, which is read
    assert "/police-forces/norfolk/page/2/" in requested


def test_a_page_robots_disallows_is_neither_requested_nor_returned(site) -> None:
    discovery = discover_reports("Norfolk", client=client_for(site))
    draft = "/private/publications/norfolk-peel-2019-draft/"
    assert draft not in site.paths()
    assert {s.url.removeprefix(site.url): s.reason for s in discovery.skipped}[draft] == "disallowed by robots.txt"


def test_only_the_years_asked_for_and_pages_of_other_years_are_not_read(site) -> None:
    discovery = discover_reports("norfolk constabulary", years=[2016], client=client_for(site))
    assert found(discovery, site) == {k: v for k, v in ALL_NORFOLK.items() if v[0] == "2016"}
    for other_year in ("/peel-reports/norfolk-2021-22/", "/peel-assessments/peel-2014/norfolk/",
                       "/peel-assessments/peel-2018/norfolk/"):
        assert other_year not in site.paths()


def test_a_year_inside_a_period_finds_the_period(site) -> None:
    assert set(found(discover_reports("Norfolk", years=[2019], client=client_for(site)), site)) == {
        "/peel-assessments/peel-2018/norfolk/", "/uploads/peel-assessment-2018-19-norfolk.pdf"}
    assert set(found(discover_reports("Norfolk", years=[2024], client=client_for(site)), site)) == {
        "/peel-reports/norfolk-2023-25/"}


@pytest.mark.parametrize(("types", "expected"), [
    (["peel"], {k for k, v in ALL_NORFOLK.items() if v[1].startswith("peel")}),
    (["Crime data integrity inspection"], {"/wp-content/uploads/norfolk-crime-data-integrity-inspection-2016.pdf"}),
    (["custody", "vulnerability"], {"/wp-content/uploads/norfolk-joint-inspection-of-police-custody-2015.pdf",
                                    "/wp-content/uploads/norfolk-domestic-abuse-2014.pdf"}),
    (["peel_efficiency"], {"/wp-content/uploads/peel-police-efficiency-2016-norfolk.pdf"}),
])
def test_only_the_types_asked_for(site, types: list[str], expected: set[str]) -> None:
    assert set(found(discover_reports("Norfolk", report_types=types, client=client_for(site)), site)) == expected


def test_years_and_types_together(site) -> None:
    discovery = discover_reports("Norfolk", years=parse_years("2016-2018"), report_types=["peel"],
                                 client=client_for(site))
    assert {d.period for d in discovery.documents} == {"2016", "2018/19"}


def test_unknown_force_and_type_say_what_to_give(site) -> None:
    with pytest.raises(UnknownForce, match="Norfolk Constabulary"):
        discover_reports("Atlantis", client=client_for(site))
    with pytest.raises(UnknownReportType, match="peel_effectiveness"):
        discover_reports("Norfolk", report_types=["annual accounts"], client=client_for(site))
    assert site.requests == []


def test_the_force_page_comes_from_the_force_list(site) -> None:
    discovery = discover_reports("Suffolk", client=client_for(site))
    assert found(discovery, site) == {"/peel-assessments/peel-2016/suffolk/": ("2016", "peel", "html")}


def test_without_the_force_list_the_usual_slug_is_tried(site) -> None:
    site.plan("/police-forces/", Plan(status=404))
    discovery = discover_reports("Norfolk", client=client_for(site))
    assert found(discovery, site) == ALL_NORFOLK


def test_a_force_without_a_page_says_so(site) -> None:
    with pytest.raises(ForcePageNotFound) as caught:
        discover_reports("the Met", client=client_for(site))
    assert "/police-forces/metropolitan/" in str(caught.value) and "site_url" in str(caught.value)


def test_the_page_budget_is_kept(site) -> None:
    discovery = discover_reports("Norfolk", client=client_for(site, max_pages=4))
    assert discovery.pages_read == 4
    assert len([p for p in site.paths() if p != "/robots.txt"]) == 4
    assert any("page limit" in s.reason for s in discovery.skipped)


def test_a_report_page_that_fails_is_skipped_and_the_rest_found(site) -> None:
    site.plan("/peel-reports/norfolk-2021-22/", Plan(status=404))
    discovery = discover_reports("Norfolk", client=client_for(site))
    assert set(found(discovery, site)) == set(ALL_NORFOLK) - {"/peel-reports/norfolk-2021-22/",
                                                              "/uploads/peel-assessment-2021-22-norfolk.pdf"}
    assert "HTTP 404" in {s.url.removeprefix(site.url): s.reason for s in discovery.skipped}[
        "/peel-reports/norfolk-2021-22/"]


def test_discovery_offline_is_one_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = FetchSettings(site_url=f"http://127.0.0.1:{port}", min_interval=0.0)
    with pytest.raises(OfflineError) as caught:
        discover_reports("Norfolk", settings=settings)
    assert "\n" not in str(caught.value) and "internet connection" in str(caught.value)


def test_discovery_is_rate_limited_like_downloads(site) -> None:
    clock = FakeClock()
    client = PoliteClient(FetchSettings(site_url=site.url, min_interval=3.0), clock=clock, sleep=clock.sleep)
    discover_reports("Norfolk", years=[2016], client=client)
    times = [r.at for r in client.history]
    assert len(times) == len(site.requests) >= 5
    assert all(b - a >= 3.0 for a, b in pairwise(times))


def test_force_slug_and_parse_years() -> None:
    assert [force_slug(f) for f in ("Norfolk", "the Met", "Avon & Somerset", "Dyfed Powys")] == [
        "norfolk", "metropolitan", "avon-and-somerset", "dyfed-powys"]
    assert parse_years("2016") == {2016}
    assert parse_years("2014-2016, 2021") == {2014, 2015, 2016, 2021}
    for bad in ("sixteen", "2016-2014", "", "16"):
        with pytest.raises(ValueError, match="2014-2017"):
            parse_years(bad)


def test_fetch_end_to_end_discover_download_read(site, tmp_path: Path) -> None:
    """What `inspectqa fetch --force Norfolk --years 2016 2018` does before indexing."""
    client = client_for(site)
    discovery = discover_reports("Norfolk", years=[2016, 2018], client=client)
    assert len(discovery.documents) == 7  # 2016: page, three pillars, crime data; 2018/19: page, PDF
    for document in discovery.documents:
        got = download(document.url, tmp_path / "cache", client=client)
        report = ingest_path(got.path)
        meta = correct_meta(report.meta, got.path, hint=document.hint())
        assert meta.force == NORFOLK, document.url
        assert meta.year is not None and document.year is not None
        assert meta.report_type != "other", document.url
    assert len(list((tmp_path / "cache" / "objects").rglob("*.*"))) == 7


def test_a_document_naming_the_force_on_a_page_that_does_not_is_kept(tmp_path: Path) -> None:
    root = tmp_path / "site"
    pages = {
        "police-forces/index.html": '<a href="/police-forces/norfolk/">Norfolk Constabulary</a>',
        "police-forces/norfolk/index.html": '<h1>Norfolk</h1><a href="/publications/joint-review-2017/">Joint review 2017</a>',
        "publications/joint-review-2017/index.html": (
            '<h1>Joint review of custody 2017</h1>'
            '<a href="/uploads/review-a.pdf">Custody review 2017 – Norfolk Constabulary (PDF document)</a>'
            '<a href="/uploads/review-b.pdf">Custody review 2017 – Suffolk Constabulary (PDF document)</a>'),
    }
    for name, body in pages.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(f"<!DOCTYPE html><html><body>{body}</body></html>", encoding="utf-8")
    with serve_site(root) as bare:
        discovery = discover_reports("Norfolk", client=client_for(bare))
        assert found(discovery, bare) == {"/uploads/review-a.pdf": ("2017", "custody", "pdf")}
        assert "/uploads/review-b.pdf" in {s.url.removeprefix(bare.url) for s in discovery.skipped}
