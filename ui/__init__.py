"""Streamlit helpers shared by pages: the cached service, the typed UI state, plain-text rendering."""
