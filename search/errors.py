"""Every named exception of the search package, in one place at the bottom of the layers.

Each message says what went wrong and what to do next; the command line prints it as one line
and the app shows it as it is. Nothing here imports another module of the package.
"""

from __future__ import annotations

from pathlib import Path


def rebuild_hint(index_dir: str | Path) -> str:
    """The command that rebuilds an index folder from the bundled reports."""
    return f"rebuild it with `inspectqa index reports/ --index-dir {index_dir} --rebuild`"


class IndexError_(RuntimeError):
    """Base for problems with an index folder; the message says what to do."""


class IndexMissingError(IndexError_):
    """No index has been built in the folder."""


class IndexIncompatibleError(IndexError_):
    """The index was built with another model, backend, chunking, schema or bm25s layout."""


class IndexCorruptError(IndexError_):
    """Files of the live generation are missing, truncated or inconsistent."""


class IndexIntegrityError(IndexCorruptError):
    """A file of the index does not have the SHA-256 its manifest records (changed on disk since it was written)."""


class ManifestError(IndexCorruptError):
    """The manifest lacks a field or holds a value of the wrong type; the message names the field."""


class IndexStaleError(IndexError_):
    """The generation a long-lived searcher loaded has been replaced and removed; the message says to reload."""


class IndexLockedError(IndexError_):
    """Another build holds the folder's lock (or the lock file is not a plain file)."""


class IndexWriteError(IndexError_):
    """The new index could not be written (disk full, no permission); the published one is unchanged."""


class IndexInputError(IndexError_):
    """The paths or sources given to a build cannot be used as they are (missing, empty, or they would remove
    reports without --prune); nothing was published. The command line exits with status 2."""


class PruneRequiredError(IndexInputError):
    """A build would remove more than half of the indexed reports; it needs --prune to go ahead."""


class IndexEmptyError(IndexError_):
    """A build would leave the index with no report; nothing was published."""


class RollbackError(IndexError_):
    """No earlier generation can be restored (none kept, or the kept one is damaged)."""


class FindingsUnavailableError(IndexError_):
    """The index was built before grades and findings were extracted; the message says how to add them."""


class ReportNotFoundError(LookupError):
    """The index holds no report of that name, or the file a report was read from is gone."""


class QueryError(ValueError):
    """The query cannot be searched (empty, or a bad number of results); the message says what to change."""


class FilterError(ValueError):
    """A filter names something the index does not know, or cannot be read; the message lists what it can be."""


class SettingsError(ValueError):
    """A settings value is unknown, of the wrong type or out of range; the message names the field."""


class EmbedderError(RuntimeError):
    """The encoder cannot be loaded; the message says how to install or choose it."""


__all__ = [
    "EmbedderError", "FilterError", "FindingsUnavailableError", "IndexCorruptError", "IndexEmptyError",
    "IndexError_", "IndexIncompatibleError", "IndexInputError", "IndexIntegrityError", "IndexLockedError",
    "IndexMissingError", "IndexStaleError", "IndexWriteError", "ManifestError", "PruneRequiredError", "QueryError",
    "ReportNotFoundError", "RollbackError", "SettingsError", "rebuild_hint",
]
