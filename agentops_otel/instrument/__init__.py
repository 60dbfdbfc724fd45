"""Automatic spans for model clients (``instrument_openai``); each client lives in its own module."""
