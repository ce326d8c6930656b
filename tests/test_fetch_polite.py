"""The polite HTTP client against a local server: robots.txt, rate limit, User-Agent, retries, errors.

Waits run on a fake clock: tests count requests and read the recorded (fake) times and waits,
never the wall clock.
"""

from __future__ import annotations

import socket
from itertools import pairwise
from pathlib import Path

import pytest

from ingest.fetch import download
from ingest.fetch_types import (
    FetchError,
    FetchSettings,
    HTTPStatusError,
    OfflineError,
    RateLimited,
    RobotsDisallowed,
    ServerError,
    SettingsError,
    TooManyRedirects,
)
from ingest.httpclient import PoliteClient
from tests.site_server import FakeClock, Plan, serve_site
from tests.site_server import make_client as client_for

PDF = "/wp-content/uploads/peel-police-efficiency-2016-norfolk.pdf"
OTHER_PDFS = ("/wp-content/uploads/peel-police-legitimacy-2016-norfolk.pdf",
              "/wp-content/uploads/norfolk-crime-data-integrity-inspection-2016.pdf")


@pytest.fixture
def site():
    with serve_site() as server:
        yield server




def assert_one_line_with_advice(error: FetchError, url: str) -> None:
    message = str(error)
    assert url in message
    assert "\n" not in message
    assert ": " in error.reason  # what went wrong: what to do


def page_times(client: PoliteClient) -> list[float]:
    return [r.at for r in client.history if not r.url.endswith("/robots.txt")]


# ---------------------------------------------------------------- identity and robots.txt


def test_every_request_names_inspectqa_and_the_contact(site, tmp_path: Path) -> None:
    client, _ = client_for(site, contact="research@example.org")
    download(site.url + PDF, tmp_path, client=client)
    agents = {seen.headers["user-agent"] for seen in site.requests}
    assert len(agents) == 1
    agent = agents.pop()
    assert agent.startswith("InspectQA/") and "+research@example.org" in agent


def test_a_path_robots_disallows_is_never_requested(site, tmp_path: Path) -> None:
    client, _ = client_for(site)
    url = site.url + "/private/reports/norfolk-draft.pdf"
    with pytest.raises(RobotsDisallowed) as caught:
        download(url, tmp_path, client=client)
    assert_one_line_with_advice(caught.value, url)
    assert site.paths() == ["/robots.txt"]
    assert not client.allowed(url) and client.allowed(site.url + PDF)


def test_robots_is_read_once_per_host(site, tmp_path: Path) -> None:
    client, _ = client_for(site)
    for path in (PDF, *OTHER_PDFS):
        download(site.url + path, tmp_path, client=client)
    assert site.paths().count("/robots.txt") == 1
    assert len(site.paths()) == 4


def test_a_site_without_robots_allows_everything(tmp_path: Path) -> None:
    root = tmp_path / "bare"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "note.txt").write_text("A plain text report about a force, long enough to read.\n")
    with serve_site(root) as bare:
        client, _ = client_for(bare)
        got = download(bare.url + "/docs/note.txt", tmp_path / "cache", client=client)
    assert got.format == "text"
    assert bare.paths() == ["/robots.txt", "/docs/note.txt"]


def test_robots_answering_403_disallows_everything(site, tmp_path: Path) -> None:
    site.plan("/robots.txt", Plan(status=403))
    client, _ = client_for(site)
    with pytest.raises(RobotsDisallowed):
        download(site.url + PDF, tmp_path, client=client)
    assert PDF not in site.paths()


def test_robots_can_be_switched_off_for_your_own_server(site, tmp_path: Path) -> None:
    client, _ = client_for(site, respect_robots=False)
    site.bodies["/private/mine.txt"] = (b"My own notes on the inspection, long enough to keep.\n", "text/plain")
    download(site.url + "/private/mine.txt", tmp_path, client=client)
    assert site.paths() == ["/private/mine.txt"]


# ---------------------------------------------------------------- rate limit


def test_requests_to_one_host_are_spaced_by_the_interval(site, tmp_path: Path) -> None:
    client, clock = client_for(site, min_interval=5.0)
    for path in (PDF, *OTHER_PDFS):
        download(site.url + path, tmp_path, client=client)
    times = [r.at for r in client.history]
    assert len(times) == len(site.requests) == 4  # robots.txt and three documents
    assert all(later - earlier >= 5.0 for earlier, later in pairwise(times))
    assert clock.sleeps == [5.0, 5.0, 5.0]


def test_crawl_delay_in_robots_wins_over_a_shorter_interval(site, tmp_path: Path) -> None:
    site.bodies["/robots.txt"] = (b"User-agent: *\nCrawl-delay: 12\nDisallow: /private/\n", "text/plain")
    client, _ = client_for(site, min_interval=1.0)
    for path in (PDF, *OTHER_PDFS):
        download(site.url + path, tmp_path, client=client)
    times = page_times(client)
    assert len(times) == 3
    assert all(later - earlier >= 12.0 for earlier, later in pairwise(times))


def test_the_interval_is_kept_per_host(site, tmp_path: Path) -> None:
    client, clock = client_for(site, min_interval=30.0)
    other_host = site.url.replace("127.0.0.1", "localhost")
    try:
        socket.getaddrinfo("localhost", None)
    except OSError:
        pytest.skip("localhost does not resolve here")
    download(site.url + PDF, tmp_path, client=client)
    download(other_host + OTHER_PDFS[0], tmp_path, client=client)
    # each host's robots.txt and document: one wait per host, none between the hosts
    assert clock.sleeps == [30.0, 30.0]
    assert len(client.history) == 4


# ---------------------------------------------------------------- retries and backoff


def test_503_with_retry_after_waits_as_asked_then_succeeds(site, tmp_path: Path) -> None:
    site.plan(PDF, Plan(status=503, headers={"Retry-After": "7"}), Plan(status=503, headers={"Retry-After": "7"}))
    client, clock = client_for(site)
    got = download(site.url + PDF, tmp_path, client=client)
    assert got.size > 0
    assert site.paths().count(PDF) == 3
    assert clock.sleeps == [7.0, 7.0]


def test_429_without_retry_after_backs_off_exponentially(site, tmp_path: Path) -> None:
    site.plan(PDF, *[Plan(status=429)] * 3)
    client, clock = client_for(site, retries=3, backoff_base=2.0)
    download(site.url + PDF, tmp_path, client=client)
    assert clock.sleeps == [2.0, 4.0, 8.0]
    assert site.paths().count(PDF) == 4


def test_backoff_is_capped(site, tmp_path: Path) -> None:
    site.plan(PDF, *[Plan(status=502)] * 4)
    client, clock = client_for(site, retries=4, backoff_base=10.0, backoff_max=25.0)
    download(site.url + PDF, tmp_path, client=client)
    assert clock.sleeps == [10.0, 20.0, 25.0, 25.0]


def test_5xx_on_every_attempt_is_a_server_error(site, tmp_path: Path) -> None:
    site.plan(PDF, *[Plan(status=503)] * 5)
    client, _ = client_for(site, retries=2)
    url = site.url + PDF
    with pytest.raises(ServerError) as caught:
        download(url, tmp_path, client=client)
    assert_one_line_with_advice(caught.value, url)
    assert "try again later" in str(caught.value)
    assert site.paths().count(PDF) == 3
    assert not list((tmp_path / "objects").rglob("*.*"))


def test_429_on_every_attempt_is_rate_limited(site, tmp_path: Path) -> None:
    site.plan(PDF, *[Plan(status=429)] * 3)
    client, _ = client_for(site, retries=1)
    with pytest.raises(RateLimited):
        download(site.url + PDF, tmp_path, client=client)


def test_a_retry_after_longer_than_allowed_is_reported_not_waited(site, tmp_path: Path) -> None:
    site.plan(PDF, Plan(status=503, headers={"Retry-After": "3600"}))
    client, clock = client_for(site, max_retry_after=300.0)
    with pytest.raises(ServerError) as caught:
        download(site.url + PDF, tmp_path, client=client)
    assert "3600 s" in str(caught.value)
    assert clock.sleeps == []


def test_403_is_refused_with_advice(site, tmp_path: Path) -> None:
    site.plan(PDF, Plan(status=403))
    client, _ = client_for(site)
    with pytest.raises(HTTPStatusError) as caught:
        download(site.url + PDF, tmp_path, client=client)
    assert caught.value.status == 403 and "browser" in str(caught.value)
    assert site.paths().count(PDF) == 1  # 4xx other than 429 is not retried


def test_a_redirect_loop_stops(site, tmp_path: Path) -> None:
    site.redirects["/a.pdf"] = "/b.pdf"
    site.redirects["/b.pdf"] = "/a.pdf"
    client, _ = client_for(site, max_redirects=3)
    with pytest.raises(TooManyRedirects):
        download(site.url + "/a.pdf", tmp_path, client=client)
    assert len([p for p in site.paths() if p in ("/a.pdf", "/b.pdf")]) == 4


# ---------------------------------------------------------------- offline and progress


def test_connection_refused_is_offline_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/report.pdf"
    client = PoliteClient(FetchSettings(min_interval=0.0))
    with pytest.raises(OfflineError) as caught:
        download(url, tmp_path, client=client)
    assert_one_line_with_advice(caught.value, url)
    assert "internet connection" in str(caught.value)
    assert len(client.history) == 1  # robots.txt tried once: offline is not retried


def test_a_name_that_does_not_resolve_is_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dns(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    with pytest.raises(OfflineError) as caught:
        download("https://reports.example.invalid/x.pdf", tmp_path, FetchSettings(min_interval=0.0))
    assert "cannot find the host" in str(caught.value)


def test_progress_reports_each_stage(site, tmp_path: Path) -> None:
    events = []
    clock = FakeClock()
    client = PoliteClient(FetchSettings(site_url=site.url, min_interval=2.0), progress=events.append,
                          clock=clock, sleep=clock.sleep)
    site.plan(PDF, Plan(status=503, headers={"Retry-After": "3"}))
    download(site.url + PDF, tmp_path, client=client)
    download(site.url + PDF, tmp_path, client=client)
    stages = [e.stage for e in events]
    assert stages[:2] == ["robots", "request"]
    assert "wait" in stages and "retry" in stages
    assert stages.count("done") == 1 and stages[-1] == "cached"
    retry = next(e for e in events if e.stage == "retry")
    assert retry.seconds == 3.0 and "503" in retry.detail


# ---------------------------------------------------------------- settings


def test_settings_refuse_values_out_of_range() -> None:
    with pytest.raises(SettingsError, match="min_interval"):
        FetchSettings(min_interval=-1)
    with pytest.raises(SettingsError, match="site_url"):
        FetchSettings(site_url="ftp://example.org")
    with pytest.raises(SettingsError, match="max_bytes"):
        FetchSettings(max_bytes=0)
    with pytest.raises(SettingsError, match="one line"):
        FetchSettings(contact="a@b.org\r\nX-Evil: 1")


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSPECTQA_CONTACT", "team@example.org")
    monkeypatch.setenv("INSPECTQA_FETCH_INTERVAL", "2.5")
    monkeypatch.setenv("INSPECTQA_MAX_FILE_MB", "3")
    settings = FetchSettings.from_env(retries=1)
    assert (settings.min_interval, settings.max_bytes, settings.retries) == (2.5, 3 * 1024 * 1024, 1)
    assert "+team@example.org" in settings.agent
    monkeypatch.setenv("INSPECTQA_FETCH_INTERVAL", "soon")
    with pytest.raises(SettingsError, match="INSPECTQA_FETCH_INTERVAL"):
        FetchSettings.from_env()
