"""Findings across years: grades, findings and trails as data (model), read from report text
(cues, corpus, extract, trails), stored with each generation (storage) and queried (api)."""
