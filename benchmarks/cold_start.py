"""Cold starts: `inspectqa ask` in a fresh process, and the Streamlit app (the server until its
health check answers; then a fresh process, ``run.py --probe-app``, which calls ``probe_app_main``,
running the app through AppTest until the first answer is on the page: cited, or an abstention
with the closest passages)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, RUN, timed

APP = ROOT / "app.py"


def cli_cold_start(index_dir: Path, backend: str, runs: int) -> dict[str, Any]:
    """Wall time of `inspectqa ask` in a fresh process, model and index loads included."""
    script = Path(sys.executable).with_name("inspectqa")
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "search"]
    question = "How well does the force protect vulnerable people from harm?"
    env = {**os.environ, "INSPECTQA_BACKEND": backend}
    times = []
    for _ in range(runs):
        seconds, done = timed(lambda: subprocess.run([*cmd, "ask", question, "--index-dir", str(index_dir)],
                                                     capture_output=True, text=True, timeout=600, env=env, cwd=ROOT))
        if done.returncode != 0:
            return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
        times.append(seconds)
    return {"cli_ask_s": round(min(times), 2), "cli_ask_first_s": round(times[0], 2), "runs": runs}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_cold_start(index_dir: Path, backend: str) -> dict[str, Any]:
    """(1) `streamlit run app.py` until its health check answers; (2) a fresh process running the
    app script through AppTest until the first answer is on the page (model and index loads,
    the question, the answer; no browser or websocket)."""
    out: dict[str, Any] = {}
    if not APP.exists():
        return {"error": "app.py not found"}
    env = {**os.environ, "INSPECTQA_INDEX_DIR": str(index_dir), "INSPECTQA_BACKEND": backend}
    port = _free_port()
    streamlit = Path(sys.executable).with_name("streamlit")
    cmd = [str(streamlit) if streamlit.exists() else sys.executable, *([] if streamlit.exists() else ["-m", "streamlit"]),
           "run", str(APP), "--server.address", "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
           "--browser.gatherUsageStats", "false"]
    start = time.perf_counter()
    server = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = start + 120
        while time.perf_counter() < deadline:
            with contextlib.suppress(OSError), urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    out["server_ready_s"] = round(time.perf_counter() - start, 2)
                    break
            time.sleep(0.1)
        else:
            out["server_error"] = "no health answer within 120 s"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    probe = [sys.executable, str(RUN), "--probe-app", str(index_dir)]
    seconds, done = timed(lambda: subprocess.run(probe, capture_output=True, text=True, timeout=900, env=env, cwd=ROOT))
    if done.returncode == 0:
        out["app_first_answer_s"] = round(seconds, 2)
        out.update(json.loads(done.stdout.strip().splitlines()[-1]))
    else:
        out["app_error"] = (done.stderr.strip().splitlines() or ["failed"])[-1][:200]
    return out


def probe_app_main(index_dir: Path) -> None:
    """The ``--probe-app`` process: asks the app one question, fails without a cited answer, and
    prints one JSON line with the time to the first page."""
    from streamlit.testing.v1 import AppTest

    os.environ["INSPECTQA_INDEX_DIR"] = str(index_dir)
    started = time.perf_counter()
    at = AppTest.from_file(str(APP), default_timeout=600).run()
    first_page = time.perf_counter() - started
    at.text_input(key="q").input("How well does the force protect vulnerable people from harm?")
    at.button(key="ask_button").click().run()
    shown = " ".join(str(m.value) for m in at.main.markdown).replace("\\", "")  # the app escapes Markdown
    abstained = any("do not answer" in str(w.value) for w in at.main.warning)
    if at.exception or not ("[1]" in shown or abstained):
        raise SystemExit(f"the app showed no answer: {[e.value for e in at.exception][:1]}")
    print(json.dumps({"app_first_page_s": round(first_page, 2),
                      "app_answer": "abstained, with the closest passages" if abstained else "cited"}))

