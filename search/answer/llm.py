"""Optional written answers from a local model server with an OpenAI-compatible API
(llama.cpp server, Ollama, vLLM). Off unless INSPECTQA_LLM_URL and INSPECTQA_LLM_MODEL are set.

The prompt gives numbered passages; every sentence of the reply must cite one of them as
[n]. Sentences citing no passage, or one that was not given, are dropped; if nothing is left
the caller falls back to the extractive answer. Each cited passage is quoted, verbatim, by its
sentence closest to the question (stored sentence vectors; the reply itself is not encoded).
"""

from __future__ import annotations

import json
import logging
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass

from ingest.textutil import sentence_spans
from search.answer.evidence import Candidate
from search.answer.extractive import citation
from search.types import Citation, Hit

logger = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You answer questions about police inspection reports using only the numbered passages given. "
    "Write two to four short sentences. End every sentence with the number of the passage that supports it, "
    "in square brackets, e.g. [2]. If the passages do not answer the question, say so."
)
_CITE_RE = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class LLMClient:
    url: str
    model: str
    timeout: float = 30.0
    api_key: str | None = None

    def complete(self, messages: list[dict[str, str]]) -> str:
        """The reply text; raises OSError/ValueError on transport or format problems."""
        endpoint = self.url.rstrip("/")
        if not endpoint.endswith("/chat/completions"):
            endpoint += "/chat/completions" if endpoint.endswith("/v1") else "/v1/chat/completions"
        body = json.dumps({"model": self.model, "messages": messages, "temperature": 0.0}).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(endpoint, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            data = json.loads(response.read().decode("utf-8"))
        return str(data["choices"][0]["message"]["content"])


def client_from_env() -> LLMClient | None:
    """An LLMClient when INSPECTQA_LLM_URL and INSPECTQA_LLM_MODEL are set, else None."""
    url, model = os.environ.get("INSPECTQA_LLM_URL"), os.environ.get("INSPECTQA_LLM_MODEL")
    if not url or not model:
        return None
    return LLMClient(url=url, model=model, timeout=float(os.environ.get("INSPECTQA_LLM_TIMEOUT", "30")),
                     api_key=os.environ.get("INSPECTQA_LLM_API_KEY"))


def build_messages(question: str, passages: tuple[Hit, ...]) -> list[dict[str, str]]:
    numbered = "\n\n".join(
        f"[{n}] ({p.title}, {p.force}, {p.year}, section: {p.section})\n{p.text}" for n, p in enumerate(passages, 1))
    return [{"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"Passages:\n\n{numbered}\n\nQuestion: {question}"}]


def checked_sentences(reply: str, n_passages: int) -> list[tuple[str, list[int]]]:
    """Sentences of the reply with the passage numbers they cite; sentences citing nothing or a
    passage that was not given are dropped."""
    out = []
    for start, end in sentence_spans(" ".join(reply.split())):
        sentence = " ".join(reply.split())[start:end]
        cited = [int(n) for n in _CITE_RE.findall(sentence)]
        if not cited or any(n < 1 or n > n_passages for n in cited):
            continue
        out.append((sentence, sorted(set(cited))))
    return out


def written_answer(client: LLMClient, question: str, passages: tuple[Hit, ...],
                   candidates: list[Candidate]) -> tuple[str, list[Citation]] | None:
    """The model's answer with verified citations, or None to fall back to the extractive answer."""
    try:
        reply = client.complete(build_messages(question, passages))
    except (OSError, ValueError, KeyError, IndexError, TypeError, urllib.error.URLError) as exc:
        # transport errors, timeouts, and replies that are not the chat-completions JSON
        logger.warning("the language model at %s gave no usable reply (%s: %s): answering with quotes",
                       client.url, type(exc).__name__, exc)
        return None
    kept = checked_sentences(reply, len(passages))
    if not kept:
        return None
    # Quote the best sentence of each cited passage; a sentence citing a passage with nothing
    # quotable is dropped like one citing a passage that was not given.
    best: dict[int, Candidate] = {}
    for n in {n for _sentence, cited in kept for n in cited}:
        own = [c for c in candidates if c.hit.row == passages[n - 1].row]
        if own:
            best[n] = max(own, key=lambda c: c.probability)
    kept = [(sentence, cited) for sentence, cited in kept if all(n in best for n in cited)]
    if not kept:
        return None
    order = list(dict.fromkeys(n for _sentence, cited in kept for n in cited))
    numbers = {old: new for new, old in enumerate(order, start=1)}
    text = " ".join(_CITE_RE.sub(lambda m: f"[{numbers[int(m.group(1))]}]", s) for s, _ in kept)
    citations = [citation(numbers[old], best[old]) for old in order]
    return text, citations
