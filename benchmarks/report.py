"""The benchmark's report: the targets and whether they were met, the Markdown section for a run's
summary, and writing it into BENCHMARKS.md in place of the earlier block of the same kind of run."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

TARGETS = {"index_vs_encoder": 0.9, "search_p50_ms": 30.0, "search_p95_ms": 60.0, "ask_p50_ms": 150.0,
           "reindex_unchanged_s": 2.0, "index_added_rss_mb": 400.0}


def targets(summary: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """(target, measured, where, met) rows."""
    levels = summary.get("levels", {})
    big = levels.get(str(max((int(k) for k in levels), default=0)), {})
    lat = big.get("latency", {})
    rows = [
        ("indexing >= 0.9 x raw encoder", f"{summary['index_vs_encoder']:.2f} x", "1,000 level",
         summary["index_vs_encoder"] >= TARGETS["index_vs_encoder"]),
        ("search p50 <= 30 ms", f"{lat.get('search', {}).get('p50_ms', float('nan')):.1f} ms", f"{big.get('chunks', 0):,} chunks",
         lat.get("search", {}).get("p50_ms", 1e9) <= TARGETS["search_p50_ms"]),
        ("search p95 <= 60 ms", f"{lat.get('search', {}).get('p95_ms', float('nan')):.1f} ms", f"{big.get('chunks', 0):,} chunks",
         lat.get("search", {}).get("p95_ms", 1e9) <= TARGETS["search_p95_ms"]),
        ("ask p50 <= 150 ms", f"{lat.get('ask', {}).get('p50_ms', float('nan')):.1f} ms", f"{big.get('chunks', 0):,} chunks",
         lat.get("ask", {}).get("p50_ms", 1e9) <= TARGETS["ask_p50_ms"]),
        ("re-index unchanged < 2 s", f"{big.get('reindex', {}).get('reindex_unchanged_s', float('nan')):.2f} s",
         f"{big.get('chunks', 0):,} chunks",
         big.get("reindex", {}).get("reindex_unchanged_s", 1e9) < TARGETS["reindex_unchanged_s"]),
        ("index adds <= 400 MB RSS", f"{big.get('memory', {}).get('index_added_rss_mb', float('nan')):.0f} MB",
         f"{big.get('chunks', 0):,} chunks",
         big.get("memory", {}).get("index_added_rss_mb", 1e9) <= TARGETS["index_added_rss_mb"]),
    ]
    runs = summary.get("throughput", {}).get("runs")
    if runs:
        rows.append(("indexing >= 0.9 x encoder, three runs", ", ".join(f"{r:.2f}" for r in runs), "1,000 level",
                     min(runs) >= TARGETS["index_vs_encoder"]))
    inc = big.get("incremental")
    if inc:
        where = f"{inc['chunks']:,} chunks"
        for kind, limit in (("add", 5.0), ("change", 5.0), ("remove", 2.0)):
            rows.append((f"{kind} one report <= {limit:.0f} s", f"{inc['first'][kind]['s']:.2f} s (median of "
                         f"{inc[kind]['n']}: {inc[kind]['median_s']:.2f} s, max {inc[kind]['max_s']:.2f} s)", where,
                         inc[kind]["max_s"] <= limit))
        for key, label in (("search_p50_ms_before", "before changes"), ("search_p50_ms_after_changes", "after 50 changes"),
                           ("search_p50_ms_after_merge", "after a merge")):
            rows.append((f"search p50 <= 30 ms {label}", f"{inc[key]:.1f} ms", where, inc[key] <= TARGETS["search_p50_ms"]))
    integ = big.get("integrity")
    if integ and "cold_added_pct" in integ:
        rows.append(("checksums add <= 10% to cold start", f"{integ['cold_added_pct']:+.1f}% ({integ['cold_skipped_s']:.2f}"
                     f" -> {integ['cold_verified_s']:.2f} s)", f"{big.get('chunks', 0):,} chunks",
                     integ["cold_added_pct"] <= 10.0))
    return rows


def markdown(summary: dict[str, Any], quick: bool) -> str:
    m = summary["machine"]
    lines = [f"Run {m['date']} on {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, {m['os']}, Python "
             f"{m['python']}; load average {m['load_average']} at the start (other work shares this machine). "
             f"Encoder backend: `{summary['backend']}`.",
             "Versions: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()) + ".", ""]
    t = summary["throughput"]
    lines += ["**Indexing throughput** (whole pipeline, `build_index` on the report files, against the encoder "
              "alone on exactly the texts the pipeline embeds: chunk texts and their sentences; the worst of "
              f"{len(t.get('runs', [1]))} runs, each {', '.join(f'{r:.2f}' for r in t.get('runs', []))})", "",
              "| sample | chunks | sentences | pipeline | encoder alone | ratio | encoder, chunk texts only |",
              "|---|---:|---:|---:|---:|---:|---:|",
              f"| {t['files']} reports | {t['chunks']:,} | {t['sentences']:,} | {t['index_chunks_per_s']:.1f} chunks/s "
              f"| {t['encoder_chunks_per_s']:.1f} chunks/s ({t['encoder_texts_per_s']:.0f} texts/s) | "
              f"{t['index_vs_encoder']:.2f} | {t['encoder_chunk_only_per_s']:.1f} chunks/s |", ""]
    lines += ["**Per index size** (latencies over the development questions, warm process; p50 / p95 in ms)", "",
              "| chunks | reports | disk | model RSS | index adds (anon + file) | search | + force | + years | + force & years "
              "| ask | query encoding | re-index unchanged | one report changed |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for level in summary["levels"].values():
        lat, mem, re_ = level["latency"], level.get("memory", {}), level.get("reindex", {})

        def pp(name: str, lat=lat) -> str:
            return f"{lat[name]['p50_ms']:.1f} / {lat[name]['p95_ms']:.1f}"

        changed = (f"{re_['reindex_changed_s']:.1f} s ({re_['changed_chunks_embedded']} chunks)"
                   if "reindex_changed_s" in re_ else "–")
        unchanged = f"{re_['reindex_unchanged_s']:.2f} s" if "reindex_unchanged_s" in re_ else "–"
        lines.append(f"| {level['chunks']:,} | {level['reports']:,} | {level['disk_mb']:.0f} MB | "
                     f"{mem.get('model_rss_mb', float('nan')):.0f} MB | {mem.get('index_added_rss_mb', float('nan')):.0f} MB "
                     f"({mem.get('index_added_anon_mb', float('nan')):.0f} + {mem.get('index_added_file_mb', float('nan')):.0f}) | "
                     f"{pp('search')} | {pp('search_force')} | {pp('search_years')} | {pp('search_force_years')} | "
                     f"{pp('ask')} | {pp('encode')} | {unchanged} | {changed} |")
    lines.append("")
    for level in summary["levels"].values():
        if level.get("built_by"):
            lines.append(f"- {level['chunks']:,} chunks: {level['built_by']}")
    lines.append("")
    q = summary.get("quality")
    if q:
        lines += ["**Against a naive pipeline** (1,000-character recursive splits, same encoder, FAISS flat, no "
                  "metadata; on the 1,000-chunk corpus, which holds the two real reports; development questions, no "
                  "filters)", "",
                  "| pipeline | hit@1 | hit@5 | MRR@10 | search p50 / p95 |", "|---|---:|---:|---:|---:|"]
        first = next(iter(summary["levels"].values()))
        lines.append(f"| InspectQA | {q['ours']['hit@1']:.3f} | {q['ours']['hit@5']:.3f} | {q['ours']['mrr@10']:.3f} | "
                     f"{first['latency']['search']['p50_ms']:.1f} / {first['latency']['search']['p95_ms']:.1f} ms |")
        lines.append(f"| naive ({q['naive_chunks']:,} splits) | {q['naive']['hit@1']:.3f} | {q['naive']['hit@5']:.3f} | "
                     f"{q['naive']['mrr@10']:.3f} | {q['naive_search']['p50_ms']:.1f} / {q['naive_search']['p95_ms']:.1f} ms |")
        lines.append("")
    cold = summary.get("cold_start", {})
    if cold:
        parts = []
        if "cli_ask_s" in cold:
            parts.append(f"`inspectqa ask` in a fresh process: {cold['cli_ask_s']:.1f} s (first run "
                         f"{cold['cli_ask_first_s']:.1f} s)")
        if "server_ready_s" in cold:
            parts.append(f"`streamlit run app.py` until its health check answers: {cold['server_ready_s']:.1f} s")
        if "app_first_answer_s" in cold:
            parts.append(f"a fresh process running the app (AppTest) until the first answer is on the page: "
                         f"{cold['app_first_answer_s']:.1f} s (first page {cold.get('app_first_page_s', 0):.1f} s; "
                         f"the answer {cold.get('app_answer', 'cited')})")
        for key in ("error", "app_error", "server_error"):
            if key in cold:
                parts.append(f"{key}: {cold[key]}")
        lines += ["**Cold start** (1,000-chunk index): " + "; ".join(parts) + ".", ""]
    b = summary.get("backends")
    if b:
        lines += [f"**Encoder backends** (what indexing the bundled reports embeds: {b['chunks']} chunks and "
                  f"{b['sentences']} sentences; best of two interleaved runs; development questions, no filters)", "",
                  "| backend | chunks/s | texts/s | vs torch | min cosine vs torch | hit@1 | hit@5 | MRR@10 |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for name in ("torch", "onnx", "onnx-int8"):
            if name in b:
                r = b[name]
                lines.append(f"| {name} | {r['chunks_per_s']:.1f} | {r['texts_per_s']:.0f} | {r['speedup_vs_torch']:.2f}x "
                             f"| {r['min_cosine_vs_torch']:.4f} | {r['hit@1']:.3f} | {r['hit@5']:.3f} | {r['mrr@10']:.3f} |")
        lines.append("")
    f = summary.get("faiss")
    if f:
        lines += [f"**FAISS at {f['vectors']:,} synthetic 384-d vectors** (real vectors plus noise; {f['queries']} "
                  "single-vector queries; the product's own index settings from search/index/dense.py)", "",
                  "| index | build | p50 | p95 | recall@10 vs flat | size |", "|---|---:|---:|---:|---:|---:|"]
        for kind in ("flat", "hnsw", "ivf"):
            if kind in f:
                r = f[kind]
                recall = "1 (reference)" if kind == "flat" else f"{r['recall@10']:.3f}"
                lines.append(f"| {kind} | {r['build_s']:.1f} s | {r['p50_ms']:.2f} ms | {r['p95_ms']:.2f} ms | {recall} | "
                             f"{r['memory_mb']:,} MB |")
        lines.append("")
        if f.get("machine"):
            lines += [f"Measured apart (`--faiss-only`) on {f['machine']['date']}, load average "
                      f"{f['machine']['load_average']} when it finished." + (f" Note: {f['flat_note']}." if f.get("flat_note")
                                                                        else ""), ""]
    for level in summary["levels"].values():
        inc = level.get("incremental")
        if inc:
            lines += [f"**One report at a time** ({inc['chunks']:,} chunks; each build reads, embeds with the "
                      "real encoder and publishes; first of each, then the median and maximum over the 50 changes "
                      "made in turn)", "",
                      "| change | first | median | max | chunks of the report read (median) | encoder alone (median) | "
                      "the rest (median) |", "|---|---:|---:|---:|---:|---:|---:|"]
            for kind in ("add", "change", "remove"):
                lines.append(f"| {kind} one report | {inc['first'][kind]['s']:.2f} s | {inc[kind]['median_s']:.2f} s | "
                             f"{inc[kind]['max_s']:.2f} s | {inc[kind]['chunks_embedded_median']} | "
                             f"{inc[kind].get('encoder_median_s', float('nan')):.2f} s | "
                             f"{inc[kind].get('without_encoder_median_s', float('nan')):.2f} s |")
            lines += ["", "The encoder's time includes the new report's sentences, words and findings; the rest is "
                      "the build's own work (it overlaps the encoder in part)."]
            lines += ["", f"Search p50: {inc['search_p50_ms_before']:.1f} ms before, {inc['search_p50_ms_after_changes']:.1f} "
                      f"ms after the changes (the searcher that followed every publish; "
                      f"{inc['search_p50_ms_after_changes_fresh_load']:.1f} ms loaded afresh), "
                      f"{inc['search_p50_ms_after_merge']:.1f} ms after `--optimize` ({inc['optimize_s']:.1f} s, "
                      f"{inc['segments_after_changes']} segments to {inc['segments_after_optimize']}); "
                      f"{inc['merges_during_changes']} builds merged segments by themselves; following a publish "
                      f"took {inc['follow_publish_s']:.2f} s.", ""]
        integ = level.get("integrity")
        if integ and "cold_added_pct" in integ:
            lines += [f"**Checksums** ({level['chunks']:,} chunks): a fresh process loading the model and the index "
                      f"and answering one search takes {integ['cold_verified_s']:.2f} s with every file verified, "
                      f"{integ['cold_skipped_s']:.2f} s with verification skipped ({integ['cold_added_pct']:+.1f}%, best "
                      f"of {integ['runs']}); warm search p50 {integ['warm_p50_ms_verified']:.1f} ms verified, "
                      f"{integ['warm_p50_ms_skipped']:.1f} ms skipped.", ""]
    lines += ["**Targets**", "", "| target | measured | where | met |", "|---|---:|---|---|"]
    for name, value, where, met in targets(summary):
        lines.append(f"| {name} | {value} | {where} | {'yes' if met else 'no'} |")
    lines.append("")
    title = "Quick run (`make bench`: the 1,000-chunk level)" if quick else "Full run"
    return f"## {title}\n\n" + "\n".join(lines)


def write_markdown(path: Path, section: str, quick: bool) -> None:
    """Replace this run's block in ``path``, keeping the other (quick vs full) block."""
    tag = "quick" if quick else "full"
    block = f"<!-- bench:{tag} -->\n{section}\n<!-- /bench:{tag} -->"
    text = path.read_text(encoding="utf-8") if path.exists() else (
        "# Benchmarks\n\nGenerated by `benchmarks/run.py` (see docs/performance.md). Numbers are from the machine "
        "named in each block.\n\n<!-- bench:full -->\n<!-- /bench:full -->\n\n<!-- bench:quick -->\n<!-- /bench:quick -->\n")
    pattern = re.compile(rf"<!-- bench:{tag} -->.*?<!-- /bench:{tag} -->", re.S)
    text = pattern.sub(lambda _m: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")

