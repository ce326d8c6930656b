"""The index layer: an index folder (manifest and generations), the chunk store, dense and lexical
indexes, query expansion, loading a generation, building and publishing one."""
