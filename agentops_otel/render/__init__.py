"""Renderings of a :class:`~agentops_otel.timeline.Timeline`: text for terminals and pytest reports,
a versioned JSON document for tools, and a self-contained HTML page to scrub through.

All three read only the Timeline model, so they show the same session whichever backend it came from.
"""

from __future__ import annotations

from agentops_otel.render.html import render_html
from agentops_otel.render.json import SCHEMA, SCHEMA_LIST, render_json, timeline_to_dict, timelines_to_dict
from agentops_otel.render.text import render_text

__all__ = [
    "SCHEMA",
    "SCHEMA_LIST",
    "render_html",
    "render_json",
    "render_text",
    "timeline_to_dict",
    "timelines_to_dict",
]
