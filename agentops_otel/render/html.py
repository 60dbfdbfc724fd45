"""One self-contained HTML file per replay: open it from disk, attach it to a CI run, mail it.

Everything is inline (CSS, JS and the sessions as the ``timelines@1`` JSON document), and a
Content-Security-Policy of ``default-src 'none'`` forbids the page any network access, so a replay of
a private session cannot leak to a CDN and renders the same offline years later. The data is read
with ``textContent`` and shown with ``textContent`` only: recorded prompts and tool results are
untrusted text and must never become markup.

Open ``replay.html?autotest`` to make the page step through itself and write the result (checks,
visited steps, captured console errors) into ``#autotest-result``; the tests run that in headless
Chromium.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from importlib import resources

from agentops_otel.render.json import timelines_to_dict
from agentops_otel.timeline import Timeline

_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

_CAPTURE = """(function () {
  var errors = window.__agentopsErrors = [];
  window.addEventListener("error", function (e) { errors.push("error: " + (e.message || e)); });
  window.addEventListener("unhandledrejection", function (e) { errors.push("rejection: " + e.reason); });
  document.addEventListener("securitypolicyviolation", function (e) {
    errors.push("csp: " + e.violatedDirective + " " + e.blockedURI);
  });
  var original = console.error;
  console.error = function () {
    errors.push("console.error: " + Array.prototype.map.call(arguments, String).join(" "));
    return original.apply(console, arguments);
  };
})();"""

_BODY = """<header>
  <div class="title-row">
    <h1 id="session-id"></h1><span id="status" class="badge"></span>
    <span id="session-name" class="muted"></span>
    <label id="session-picker" hidden>Session <select id="session-select"></select></label>
  </div>
  <div id="figures" class="figures"></div>
  <div id="reason" class="reason" hidden></div>
  <ul id="issues" class="issues" hidden></ul>
</header>
<section class="scrubber" aria-label="Timeline">
  <div id="track" class="track" title="Click to jump"></div>
  <div class="controls">
    <button id="prev" type="button" title="Previous step (← or k)">◀</button>
    <input id="scrub" type="range" min="0" max="0" step="1" value="0" aria-label="Step">
    <button id="next" type="button" title="Next step (→ or j)">▶</button>
    <button id="fail-btn" type="button" title="Jump to the failed step (f)" hidden>Failed step</button>
    <span id="pos" class="pos"></span>
  </div>
  <div class="help">← / → or j / k step · Home / End · f failed step · click a row or the track</div>
</section>
<main>
  <ol id="steps" aria-label="Steps"></ol>
  <aside id="details" aria-live="polite"></aside>
</main>
<pre id="autotest-result" data-status="pending"></pre>"""


def _asset(name: str) -> str:
    return resources.files("agentops_otel.render").joinpath(name).read_text(encoding="utf-8")


def embed_json(data: object) -> str:
    """JSON that is safe inside ``<script>``: no ``<``, ``>`` or ``&`` can end or open a tag.

    Escaping them as ``\\u003c`` etc. is exact (JSON.parse gives the same strings back) and also
    covers ``<!--`` and ``</script`` in any letter case; U+2028/2029 are escaped for old parsers.
    """
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for raw, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                     ("\u2029", "\\u2029")):
        text = text.replace(raw, esc)
    return text


GENERATOR_META = '<meta name="generator" content="agentops-otel">'
"""In every page's head: how ``replay --html`` tells a page it wrote (and may replace) from anything else."""


def render_html(timeline_or_list: Timeline | Iterable[Timeline], *, title: str | None = None) -> str:
    """The replay page for one session or several (a selector switches between them)."""
    timelines = [timeline_or_list] if isinstance(timeline_or_list, Timeline) else list(timeline_or_list)
    if title is None:
        ids = [t.summary.session_id for t in timelines]
        title = "Session " + ids[0] if len(ids) == 1 else f"{len(ids)} sessions"
    data = embed_json(timelines_to_dict(timelines))
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"{GENERATOR_META}\n"
        f"<title>{html.escape(title)}</title>\n"
        f"<script>{_CAPTURE}</script>\n"
        f"<style>\n{_asset('replay.css')}</style>\n"
        "</head>\n<body>\n"
        f"{_BODY}\n"
        f'<script type="application/json" id="agentops-data">{data}</script>\n'
        f"<script>\n{_asset('replay.js')}</script>\n"
        "</body>\n</html>\n"
    )


__all__ = ["GENERATOR_META", "embed_json", "render_html"]
