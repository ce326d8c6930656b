"""The retrieval layer: the question parsed once, rank fusion, and the searcher."""
