"""Answers, result lists and grades as files people can keep and cite: Markdown, CSV and a
printable HTML page, each with the question, what was searched, when, and full citations (title,
force, period, published date, section path, page, address). No internal ids: no file hashes,
character offsets, chunk ids or raw scores."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import streamlit as st

from ingest.dates import format_period
from search.findings.model import Grade
from search.present import area_label, citation_text, group_citations, published_text, relevance_words
from search.types import Answer, Citation, Hit
from ui.text import csv_text


@dataclass(frozen=True)
class Record:
    """What an export says besides the results: what was searched, when, and the reports' dates."""

    scope: str  # the 'Searched' line (ui.scope.scope_summary)
    when: datetime = field(default_factory=lambda: datetime.now(UTC))
    published: dict[str, str | None] = field(default_factory=dict)  # by report source
    link: str = ""  # the page address that reproduces the query

    @property
    def date(self) -> str:
        return self.when.strftime("%d %B %Y, %H:%M UTC")


def _cite(c: Citation | Hit, record: Record) -> str:
    return citation_text(c, record.published.get(c.source))


def _path(c: Citation | Hit) -> str:
    return " > ".join(c.path) or c.section


def _header(title: str, record: Record) -> list[str]:
    lines = [f"# {title}", "", f"- Searched: {record.scope}", f"- Date: {record.date}"]
    if record.link:
        lines.append(f"- Link: {record.link}")
    return [*lines, ""]


# --- answers ----------------------------------------------------------------------------------
def answer_markdown(reply: Answer, record: Record) -> str:
    lines = [*_header(reply.question, record), reply.text, ""]
    if reply.table:
        lines += ["| [n] | Force | Period | Area | Grade | Report |", "|---|---|---|---|---|---|"]
        lines += [f"| [{r['n']}] | {r['force'] or ''} | {r['period']} | {r['area']} | {r['grade']} | {r['title']} |"
                  for r in reply.table]
        lines.append("")
    if reply.citations:
        lines += ["## Sources", ""]
        for group in group_citations(reply.citations, merge=not reply.table):
            lines += [f"### {group.period or 'Undated'} · {group.title}", ""]
            for quote in group.quotes:
                c = quote.shown
                numbers = ", ".join(f"[{n}]" for n in quote.numbers)
                lines += [f"{numbers} {_cite(c, record)}", "", *[f"> {line}" for line in c.quote.strip().split("\n")],
                          ""]
    elif reply.passages:
        lines += ["## Closest passages (they do not answer the question)", ""]
        for hit, words in zip(reply.passages[:5], relevance_words(reply.passages[:5]), strict=True):
            lines += [f"- {_cite(hit, record)} ({words}): {' '.join(hit.text.split())[:300]}"]
    return "\n".join(lines) + "\n"


def answer_rows(reply: Answer, record: Record) -> list[dict[str, object]]:
    base = {"question": reply.question, "searched": record.scope, "date": record.date, "answer": reply.text,
            "answered": "no" if reply.abstained else "yes"}
    rows = []
    for c in reply.citations:
        grade = next((r for r in reply.table if r.get("n") == c.n), {})
        rows.append({**base, "n": c.n, "quote": c.quote, "report": c.title, "force": c.force or "",
                     "period": format_period(c.year, c.year_to),
                     "published": published_text(record.published.get(c.source)),
                     "section": _path(c), "page": c.page or "", "url": c.url or "", "file": c.source,
                     "grade": grade.get("grade", ""), "area": grade.get("area", ""), "citation": _cite(c, record)})
    return rows or [{**base, "n": "", "quote": "", "report": "", "force": "", "period": "", "published": "",
                     "section": "", "page": "", "url": "", "file": "", "grade": "", "area": "", "citation": ""}]


def answer_csv(reply: Answer, record: Record) -> str:
    return csv_text(answer_rows(reply, record))


_CSS = """
body { font-family: Georgia, 'Times New Roman', serif; max-width: 46rem; margin: 2rem auto; color: #111;
       line-height: 1.5; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; } h3 { font-size: 1rem; margin-bottom: .3rem; }
.meta { color: #444; font-size: .9rem; } .meta dt { font-weight: bold; float: left; width: 6rem; }
.meta dd { margin-left: 6.5rem; }
blockquote { border-left: 3px solid #3f4d6b; margin: .4rem 0 .4rem 0; padding: .1rem .8rem; }
.cite { font-size: .9rem; color: #333; } table { border-collapse: collapse; font-size: .9rem; }
td, th { border: 1px solid #999; padding: .2rem .5rem; text-align: left; }
@media print { body { margin: 0; max-width: none; } a { color: #111; } }
"""


def _html_page(title: str, record: Record, body: list[str]) -> str:
    e = html.escape
    link = f"<dt>Link</dt><dd>{e(record.link)}</dd>" if record.link else ""
    return "\n".join([
        "<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>", f"<title>{e(title)}</title>",
        f"<style>{_CSS}</style></head><body>", f"<h1>{e(title)}</h1>",
        f"<dl class='meta'><dt>Searched</dt><dd>{e(record.scope)}</dd><dt>Date</dt><dd>{e(record.date)}</dd>"
        f"{link}</dl>",
        *body, "<p class='meta'>Made with InspectQA from HMICFRS inspection reports.</p>", "</body></html>", ""])


def answer_html(reply: Answer, record: Record) -> str:
    """A printable page (the browser's Print makes it a PDF)."""
    e = html.escape
    body = [f"<p>{e(reply.text)}</p>"]
    if reply.table:
        body.append("<table><tr><th>[n]</th><th>Force</th><th>Period</th><th>Area</th><th>Grade</th></tr>")
        body += [f"<tr><td>[{r['n']}]</td><td>{e(r['force'] or '')}</td><td>{e(r['period'])}</td><td>{e(r['area'])}"
                 f"</td><td>{e(r['grade'])}</td></tr>" for r in reply.table]
        body.append("</table>")
    if reply.citations:
        body.append("<h2>Sources</h2>")
        for group in group_citations(reply.citations, merge=not reply.table):
            body.append(f"<h3>{e(group.period or 'Undated')} · {e(group.title)}</h3>")
            for quote in group.quotes:
                c = quote.shown
                numbers = ", ".join(f"[{n}]" for n in quote.numbers)
                body.append(f"<blockquote>{e(' '.join(c.quote.split()))}</blockquote>")
                body.append(f"<p class='cite'>{e(numbers)} {e(_cite(c, record))}</p>")
    elif reply.passages:
        body.append("<h2>Closest passages (they do not answer the question)</h2>")
        for hit in reply.passages[:5]:
            body.append(f"<blockquote>{e(' '.join(hit.text.split())[:600])}</blockquote>")
            body.append(f"<p class='cite'>{e(_cite(hit, record))}</p>")
    return _html_page(reply.question, record, body)


# --- search results ---------------------------------------------------------------------------
def hits_markdown(query: str, hits: Sequence[Hit], record: Record) -> str:
    lines = _header(f"Search: {query}", record)
    for hit, words in zip(hits, relevance_words(hits), strict=True):
        lines += [f"## {hit.rank}. {hit.title} ({words})", "", _cite(hit, record), "",
                  *[f"> {line}" for line in hit.text.strip().split("\n")], ""]
    return "\n".join(lines) + "\n"


def hits_csv(query: str, hits: Sequence[Hit], record: Record) -> str:
    return csv_text([{"query": query, "searched": record.scope, "date": record.date, "rank": h.rank,
                      "relevance": words, "report": h.title, "force": h.force or "",
                      "period": format_period(h.year, h.year_to),
                      "published": published_text(record.published.get(h.source)),
                      "section": _path(h), "page": h.page or "", "url": h.url or "", "file": h.source,
                      "text": h.text, "citation": _cite(h, record)}
                     for h, words in zip(hits, relevance_words(hits), strict=True)])


def hits_html(query: str, hits: Sequence[Hit], record: Record) -> str:
    e = html.escape
    body = []
    for hit, words in zip(hits, relevance_words(hits), strict=True):
        body.append(f"<h3>{hit.rank}. {e(hit.title)} ({e(words)})</h3>")
        body.append(f"<blockquote>{e(' '.join(hit.text.split()))}</blockquote>")
        body.append(f"<p class='cite'>{e(_cite(hit, record))}</p>")
    return _html_page(f"Search: {query}", record, body)


# --- grades -----------------------------------------------------------------------------------
def grades_csv(items: Sequence[Grade], record: Record) -> str:
    return csv_text([{"force": g.force or "", "period": g.period, "pillar": g.pillar or "",
                      "area": area_label(g), "grade": g.grade, "scale": g.scale, "report": g.title,
                      "report_type": g.report_type, "published": published_text(record.published.get(g.source)),
                      "section": g.citation.section, "page": g.citation.page or "", "url": g.citation.url or "",
                      "file": g.source, "quote": g.citation.quote, "filters": record.scope, "date": record.date}
                     for g in items])


def download_buttons(name: str, key: str, markdown: str, table: str, page: str | None = None) -> None:
    """Markdown, CSV and (when given) printable HTML downloads, side by side."""
    columns = st.columns(3 if page is not None else 2)
    columns[0].download_button("Download as Markdown", markdown, file_name=f"{name}.md", mime="text/markdown",
                               key=f"{key}_md", on_click="ignore", icon=":material/description:")
    columns[1].download_button("Download as CSV", table, file_name=f"{name}.csv", mime="text/csv",
                               key=f"{key}_csv", on_click="ignore", icon=":material/table:")
    if page is not None:
        columns[2].download_button("Download a printable page (HTML)", page, file_name=f"{name}.html",
                                   mime="text/html", key=f"{key}_html", on_click="ignore", icon=":material/print:")
