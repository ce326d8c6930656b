"""The optional language-model answer, against a fake OpenAI-compatible server on 127.0.0.1.

The server is started by the test (http.server in a thread, a free port) and returns canned
replies; the index is the keyword-encoder fake index of the bundled reports.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from search.answer.llm import LLMClient, checked_sentences, client_from_env
from search.answer.router import answer
from search.config import Settings

QUESTION = "How many sexual offence prevention orders did Hertfordshire issue in the 12 months to 30 June 2015?"
MARKER_RE = re.compile(r"\[(\d+)\]")


@dataclass
class FakeServer:
    """What the fake model server replies, and what it was sent."""

    url: str
    reply: str = ""
    status: int = 200
    raw: bytes | None = None  # a body sent as is (for malformed replies)
    hang: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        fake: FakeServer = self.server.fake  # type: ignore[attr-defined]
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        fake.requests.append({"path": self.path, "body": body, "headers": dict(self.headers)})
        if fake.hang:
            fake.release.wait(30)
        if fake.status != 200:
            self.send_error(fake.status, "model not loaded")
            return
        data = fake.raw if fake.raw is not None else json.dumps({
            "id": "chatcmpl-test", "object": "chat.completion", "model": body.get("model"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": fake.reply},
                         "finish_reason": "stop"}],
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args: Any) -> None:  # keep test output clean
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:  # a client that gave up is expected
        pass


@pytest.fixture
def fake_llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServer]:
    server = _Server(("127.0.0.1", 0), _Handler)
    fake = FakeServer(url=f"http://127.0.0.1:{server.server_address[1]}/v1")
    server.fake = fake  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("INSPECTQA_LLM_URL", fake.url)
    monkeypatch.setenv("INSPECTQA_LLM_MODEL", "fake-model")
    monkeypatch.setenv("INSPECTQA_LLM_TIMEOUT", "5")
    monkeypatch.delenv("INSPECTQA_LLM_API_KEY", raising=False)
    try:
        yield fake
    finally:
        fake.release.set()
        server.shutdown()
        server.server_close()
        thread.join(10)


def llm_answer(searcher, question: str = QUESTION):
    client = client_from_env()
    assert client is not None
    return answer(searcher, question, llm=client)


def assert_citations_verified(searcher, result) -> None:
    """Markers resolve to citations 1..n, each used; quotes are verbatim in passage and section."""
    numbers = {int(n) for n in MARKER_RE.findall(result.text)}
    assert numbers == set(range(1, len(result.citations) + 1))
    assert [c.n for c in result.citations] == list(range(1, len(result.citations) + 1))
    given = {h.chunk_id for h in result.passages[:Settings().answer.passages]}
    for c in result.citations:
        assert c.chunk_id in given
        assert c.quote and c.passage[c.passage_start:c.passage_end] == c.quote
        assert searcher.section(c.section_id)["text"][c.start:c.end] == c.quote


# ---------------------------------------------------------------- configuration


def test_no_client_unless_url_and_model_are_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INSPECTQA_LLM_URL", raising=False)
    monkeypatch.delenv("INSPECTQA_LLM_MODEL", raising=False)
    assert client_from_env() is None
    monkeypatch.setenv("INSPECTQA_LLM_URL", "http://127.0.0.1:9/v1")
    assert client_from_env() is None  # a URL without a model is not enough
    monkeypatch.setenv("INSPECTQA_LLM_MODEL", "m")
    monkeypatch.setenv("INSPECTQA_LLM_TIMEOUT", "7.5")
    monkeypatch.setenv("INSPECTQA_LLM_API_KEY", "secret")
    assert client_from_env() == LLMClient(url="http://127.0.0.1:9/v1", model="m", timeout=7.5, api_key="secret")


def test_checked_sentences_keep_only_sentences_citing_given_passages() -> None:
    reply = "First claim [1]. Second claim [2][3]. Made up [7]. No source at all. Mixed [1] and [0]."
    assert checked_sentences(reply, 3) == [("First claim [1].", [1]), ("Second claim [2][3].", [2, 3])]
    assert checked_sentences("Nothing cited.", 3) == []


# ---------------------------------------------------------------- the written answer


def test_a_reply_citing_given_passages_becomes_the_answer(fake_searcher, fake_llm: FakeServer) -> None:
    fake_llm.reply = ("Hertfordshire issued 73 sexual offence prevention orders in the year [1]. "
                      "The reports set this against the national picture [2].")
    result = llm_answer(fake_searcher)
    assert result.mode == "llm" and not result.abstained
    assert result.text == fake_llm.reply
    assert_citations_verified(fake_searcher, result)
    assert [c.chunk_id for c in result.citations] == [h.chunk_id for h in result.passages[:2]]
    # each quote is the passage's sentence closest to the question
    assert all(c.quote.strip() for c in result.citations)


def test_the_request_gives_numbered_passages(fake_searcher, fake_llm: FakeServer,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSPECTQA_LLM_API_KEY", "sk-local")
    fake_llm.reply = "Hertfordshire issued 73 orders [1]."
    result = llm_answer(fake_searcher)
    [request] = fake_llm.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"].get("Authorization") == "Bearer sk-local"
    body = request["body"]
    assert body["model"] == "fake-model" and body["temperature"] == 0.0
    system, user = body["messages"]
    assert system["role"] == "system" and "[2]" in system["content"]
    assert user["role"] == "user" and QUESTION in user["content"]
    given = result.passages[:Settings().answer.passages]
    for n, hit in enumerate(given, start=1):
        assert f"[{n}] ({hit.title}, {hit.force}, {hit.year}, section: {hit.section})\n{hit.text}" in user["content"]
    assert f"[{len(given) + 1}]" not in user["content"]


def test_sentences_citing_a_passage_not_given_or_none_are_dropped(fake_searcher, fake_llm: FakeServer) -> None:
    fake_llm.reply = ("Hertfordshire issued 73 orders [1]. It also issued 900 parking fines [9]. "
                      "Officers were very happy about it. The orders were renamed in 2015 [2].")
    result = llm_answer(fake_searcher)
    assert result.mode == "llm"
    assert result.text == "Hertfordshire issued 73 orders [1]. The orders were renamed in 2015 [2]."
    assert "parking" not in result.text and "happy" not in result.text
    assert_citations_verified(fake_searcher, result)


def test_citations_are_renumbered_in_order_of_use(fake_searcher, fake_llm: FakeServer) -> None:
    fake_llm.reply = "The third passage says one thing [3]. The first says another [1]. Again the third [3]."
    result = llm_answer(fake_searcher)
    assert result.text == "The third passage says one thing [1]. The first says another [2]. Again the third [1]."
    assert [c.chunk_id for c in result.citations] == [result.passages[2].chunk_id, result.passages[0].chunk_id]
    assert_citations_verified(fake_searcher, result)


@pytest.mark.parametrize("reply", ["It issued 900 parking fines [9].", "No citation here. None here either.",
                                   "Zero is not a passage [0].", ""])
def test_a_reply_with_only_bad_citations_falls_back_to_the_extractive_answer(fake_searcher, fake_llm: FakeServer,
                                                                             reply: str) -> None:
    fake_llm.reply = reply
    result = llm_answer(fake_searcher)
    extractive = answer(fake_searcher, QUESTION)
    assert len(fake_llm.requests) == 1
    assert result.mode == "extractive" and not result.abstained
    assert result.text == extractive.text
    assert [c.chunk_id for c in result.citations] == [c.chunk_id for c in extractive.citations]
    assert_citations_verified(fake_searcher, result)


@pytest.mark.parametrize(("status", "raw"), [(500, None), (404, None), (200, b"not json"),
                                             (200, b'{"choices": []}'), (200, b'{"error": "busy"}')])
def test_a_server_error_falls_back_to_the_extractive_answer(fake_searcher, fake_llm: FakeServer, status: int,
                                                            raw: bytes | None) -> None:
    fake_llm.status, fake_llm.raw = status, raw
    result = llm_answer(fake_searcher)
    assert len(fake_llm.requests) == 1
    assert result.mode == "extractive" and result.text == answer(fake_searcher, QUESTION).text


def test_a_timeout_falls_back_to_the_extractive_answer(fake_searcher, fake_llm: FakeServer,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSPECTQA_LLM_TIMEOUT", "0.3")
    fake_llm.hang = True
    result = llm_answer(fake_searcher)
    assert len(fake_llm.requests) == 1
    assert result.mode == "extractive" and result.citations


def test_an_unreachable_server_falls_back_to_the_extractive_answer(fake_searcher,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("INSPECTQA_LLM_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("INSPECTQA_LLM_MODEL", "fake-model")
    result = llm_answer(fake_searcher)
    assert result.mode == "extractive" and result.citations


def test_the_model_is_not_asked_when_the_answer_abstains(fake_searcher, fake_llm: FakeServer) -> None:
    fake_llm.reply = "Essex Police attends every burglary [1]."
    result = llm_answer(fake_searcher, "Did HMIC's 2014 letter to Essex Police say officers attend every burglary?")
    assert result.abstained and result.citations == ()
    assert fake_llm.requests == []


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/chat/completions"])
def test_the_endpoint_is_found_from_the_base_url(fake_searcher, fake_llm: FakeServer,
                                                 monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    base = fake_llm.url.removesuffix("/v1")
    monkeypatch.setenv("INSPECTQA_LLM_URL", base + suffix)
    fake_llm.reply = "Hertfordshire issued 73 orders [1]."
    assert llm_answer(fake_searcher).mode == "llm"
    assert fake_llm.requests[-1]["path"] == "/v1/chat/completions"


def test_to_dict_reports_the_mode(fake_searcher, fake_llm: FakeServer) -> None:
    fake_llm.reply = "Hertfordshire issued 73 orders [1]."
    data = llm_answer(fake_searcher).to_dict()
    assert data["mode"] == "llm" and data["abstained"] is False
    assert data["citations"][0]["n"] == 1 and data["citations"][0]["quote"]


def test_a_grade_question_is_answered_from_the_grades_not_by_the_model(fake_searcher, fake_llm: FakeServer) -> None:
    fake_llm.reply = "Hertfordshire was graded outstanding [1]."
    result = llm_answer(fake_searcher, "What grade did Hertfordshire get for protecting vulnerable people in 2015?")
    assert result.mode == "grades" and "Requires improvement" in result.text
    assert fake_llm.requests == []
