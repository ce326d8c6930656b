"""Evaluation tooling: question sets, relevance and metrics, the naive baseline and the runner
(kept out of the installed package; importable from the repository root as ``eval``)."""
