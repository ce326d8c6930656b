"""The Streamlit app's pages and what they share: app.py starts them; nothing under search/ or
ingest/ imports this package. Every module only shows and formats what the library returns."""
