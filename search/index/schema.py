"""The tables of the chunk store (``chunks.sqlite``); ``search.index.store`` reads and writes them."""

SCHEMA = """
CREATE TABLE reports (
    source TEXT PRIMARY KEY, title TEXT, force TEXT, year INTEGER, published TEXT, report_type TEXT,
    content_hash TEXT, format TEXT, path TEXT, warnings TEXT, n_sections INTEGER, n_chunks INTEGER,
    n_footnotes INTEGER, text TEXT, year_to INTEGER, about_type TEXT, url TEXT
);
CREATE TABLE sections (
    section_id TEXT PRIMARY KEY, source TEXT, ordinal INTEGER, heading TEXT, path TEXT, level INTEGER,
    kind TEXT, question TEXT, theme TEXT, judgment TEXT, page INTEGER, start INTEGER, end_ INTEGER,
    text TEXT, figures TEXT
);
CREATE TABLE footnotes (
    source TEXT, number INTEGER, text TEXT, section_id TEXT, start INTEGER, end_ INTEGER,
    marker_start INTEGER, page INTEGER
);
CREATE TABLE chunks (
    row INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE, source TEXT, section_id TEXT, text TEXT,
    embed_text TEXT, start INTEGER, end_ INTEGER, title TEXT, force TEXT, year INTEGER, report_type TEXT,
    heading TEXT, path TEXT, kind TEXT, question TEXT, theme TEXT, judgment TEXT, page INTEGER,
    is_table INTEGER, year_to INTEGER
);
CREATE TABLE sentences (
    sid INTEGER PRIMARY KEY, row INTEGER, start INTEGER, end_ INTEGER, key INTEGER
);
CREATE TABLE grades (
    source TEXT, ordinal INTEGER, area TEXT, area_key TEXT, pillar TEXT, grade TEXT, scale TEXT, status TEXT,
    year_from INTEGER, year_to INTEGER, force TEXT, section_id TEXT, start INTEGER, end_ INTEGER, also TEXT
);
CREATE INDEX sections_source ON sections(source);
CREATE INDEX sentences_row ON sentences(row);
CREATE INDEX chunks_source ON chunks(source);
CREATE INDEX grades_source ON grades(source);
"""
KEY_INDEX = "CREATE INDEX IF NOT EXISTS sentences_key ON sentences(key);"
"""Finds the stored sentences with a key (``store.sentences_by_key``); made after a store's rows are copied in."""
TABLES = ("reports", "sections", "footnotes", "chunks", "sentences", "grades")
REPORT_COLUMNS = ("source, title, force, year, published, report_type, content_hash, format, path, warnings, "
                   "n_sections, n_chunks, n_footnotes, text, year_to, about_type, url")

__all__ = ["KEY_INDEX", "REPORT_COLUMNS", "SCHEMA", "TABLES"]
