"""The app in a real browser: `streamlit run` on a free local port, driven by Debian's headless
Chromium through Playwright's Python package (its own browser download is not used).

Chromium must be at /usr/bin/chromium (`make test` installs it with apt-get when it can).
Set INSPECTQA_SKIP_BROWSER=1 to skip this test on purpose.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
START_SECONDS = 120
ANSWER_MS = 240_000  # the first question loads the encoder in the server


def require_browser() -> None:
    if os.environ.get("INSPECTQA_SKIP_BROWSER") == "1":
        pytest.skip("INSPECTQA_SKIP_BROWSER=1 is set")
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: install it with `apt-get install -y chromium` "
                    "(`make test` does this), or set INSPECTQA_SKIP_BROWSER=1 to skip the browser test")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail("the playwright package is missing: install the dev extras with `pip install -e '.[dev]'` "
                    "(do not run `playwright install`; the test uses /usr/bin/chromium)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"streamlit exited with status {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    pytest.fail(f"streamlit did not answer {url} within {START_SECONDS} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def app_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """`streamlit run app.py` on 127.0.0.1 and a free port, on the session index; stopped by its
    process group id afterwards."""
    require_browser()
    real_index: Path = request.getfixturevalue("real_index")  # built only when the browser test runs
    port = free_port()
    log = tmp_path / "streamlit.log"
    env = {**os.environ, "INSPECTQA_INDEX_DIR": str(real_index), "INSPECTQA_UPLOAD_DIR": str(tmp_path / "uploads")}
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.address", "127.0.0.1",
             "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{url}/_stcore/health", server, log)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)


def test_asking_in_the_browser_shows_a_cited_answer(app_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1600})
            page.goto(app_url)
            box = page.get_by_label("Question")
            box.wait_for(timeout=ANSWER_MS)
            box.fill("What is a distraction burglary?")
            box.press("Enter")
            page.get_by_text("Sources", exact=True).wait_for(timeout=ANSWER_MS)
            page.screenshot(path=str(tmp_path / "ask.png"), full_page=True)
            body = page.inner_text("body")
        finally:
            browser.close()
    assert "[1]" in body
    assert "PEEL: Police effectiveness 2015 – An inspection of Hertfordshire Constabulary" in body
    assert "distraction burglary" in body
    assert (tmp_path / "ask.png").stat().st_size > 10_000
