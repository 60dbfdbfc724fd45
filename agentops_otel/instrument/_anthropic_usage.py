"""What a Claude call is billed for: its token counts, and what comes beside them (web searches, fast mode,
a non-global inference geography or Vertex AI region, server tools billed by the hour, an advisor model's
sub-inferences, cache writes by TTL), read from an Anthropic ``Usage``, the response's server-tool blocks and the
client. Kept apart from the content readers: the rules follow the price lists, not the message format.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Final

from ..cost import Extras
from ..llm import TokenUsage, is_count

__all__ = ["billed_tool", "cache_writes", "tier", "usage", "with_billed_tools", "with_region"]


def _get(obj: Any, key: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(key)
    return getattr(obj, key, None)


def usage(raw: Any) -> TokenUsage | None:
    """Convention token counts from an Anthropic ``Usage`` (a message's, or one accumulated from a stream)."""
    if raw is None:
        return None
    read = _get(raw, "cache_read_input_tokens")
    read = read if is_count(read) else 0  # absent: nothing cached
    written, hour = cache_writes(raw)
    uncached, output = _get(raw, "input_tokens"), _get(raw, "output_tokens")
    if not (is_count(uncached) and is_count(output)):  # a count left out is unknown, never 0
        return TokenUsage(uncached + read + written if is_count(uncached) else None, output, partial=True)
    out = TokenUsage(input=uncached + read + written, output=output, cache_read=read, cache_write=written)
    if _get(raw, "cache_creation") is not None:
        out.cache_write_1h = hour
    ttl_unknown = hour is None
    advisors = 0
    iterations = _get(raw, "iterations")
    if iterations:
        apart_ttl_unknown, advisors = _add_iterations_apart(out, iterations)
        ttl_unknown = ttl_unknown or apart_ttl_unknown
    details = _get(raw, "output_tokens_details")
    if details is not None:
        out.reasoning = _get(details, "thinking_tokens")
    server_tools = _get(raw, "server_tool_use")
    speed = _get(raw, "speed")
    geo = _get(raw, "inference_geo")
    if (server_tools is not None or (speed is not None and speed != "standard")
            or (geo is not None and geo not in _STANDARD_GEOS)):
        out.extras = _extras(server_tools, speed, geo)
    if ttl_unknown:
        out.extras = dataclasses.replace(out.extras or Extras(), cache_ttl_unknown=True)
    if advisors:  # another model's tokens, at its rates: not priced as the executor's
        out.extras = dataclasses.replace(out.extras or Extras(), unpriced_tools=advisors)
    return out


def cache_writes(raw: Any) -> tuple[int, int | None]:
    """Tokens written to the cache, and how many of them with the one-hour TTL (billed 1.6x the five-minute
    rate): ``None`` when the response does not say, so the bill is unknown. The total is at least what the
    ``cache_creation`` split places (a usage may leave out its total), and only writes the split places in a
    TTL are known to be of it: a split short of the total (or none at all) leaves the rest unknown."""
    written = _get(raw, "cache_creation_input_tokens")
    written = written if is_count(written) else 0
    split = _get(raw, "cache_creation")
    if split is None:
        return written, (0 if written == 0 else None)
    five, hour = _get(split, "ephemeral_5m_input_tokens"), _get(split, "ephemeral_1h_input_tokens")
    if is_count(hour):
        if not is_count(five):
            return max(written, hour), hour  # the rest can only be five-minute writes
        return max(written, five + hour), (hour if written <= five + hour else None)
    five = five if is_count(five) else 0
    return max(written, five), (0 if written <= five else None)


_STANDARD_GEOS: Final = frozenset({"global", "not_available"})
"""``usage.inference_geo`` values billed at the standard rates (``"not_available"``: a model without the
choice); any other (``"us"``: 1.1x) makes the call unpriced rather than priced 10% short."""


_APART: Final = frozenset({"compaction", "advisor_message"})
"""``usage.iterations`` entries (beta) whose tokens the top-level usage leaves out, though they are billed: the
compactions the API ran, and the advisor tool's sub-inferences (on the advisor's model, at its rates)."""


def _add_iterations_apart(out: TokenUsage, iterations: Any) -> tuple[bool, int]:
    """Add the tokens of the iterations left out of the top-level usage (:data:`_APART`). Returns whether one
    of them wrote to the cache without saying how much of it for an hour, and how many advisor calls ran."""
    if not isinstance(iterations, (list, tuple)):
        return False, 0
    ttl_unknown = False
    advisors = 0
    for entry in iterations:
        kind = _get(entry, "type")
        if kind not in _APART:
            continue
        advisors += kind == "advisor_message"
        counts = [_get(entry, name) for name in ("input_tokens", "output_tokens", "cache_read_input_tokens")]
        uncached, output, read = (c if is_count(c) else 0 for c in counts)
        written, hour = cache_writes(entry)
        out.input = (out.input or 0) + uncached + read + written
        out.output = (out.output or 0) + output
        out.cache_read = (out.cache_read or 0) + read
        out.cache_write = (out.cache_write or 0) + written
        if hour is None:
            ttl_unknown = True
        elif hour > 0:
            out.cache_write_1h = (out.cache_write_1h or 0) + hour
    return ttl_unknown, advisors


def _extras(server_tools: Any, speed: Any, geo: Any = None) -> Extras | None:
    """Server-side web searches (billed per search), fast mode and a non-global inference geography (their
    own rates); ``None`` without any."""
    searches = None if server_tools is None else _get(server_tools, "web_search_requests")
    fast = speed if isinstance(speed, str) and speed != "standard" else None
    region = str(geo) if geo is not None and geo not in _STANDARD_GEOS else None
    if not searches and fast is None and region is None:
        return None
    return Extras(web_searches=searches if isinstance(searches, int) else 0, speed=fast, geo=region)


def tier(raw: Any) -> str | None:
    tier = _get(raw, "service_tier")
    return tier if isinstance(tier, str) else None


_TOKENS_ONLY_SERVER_TOOLS: Final = frozenset({"web_search", "web_fetch"})
"""Server tools billed as the tokens they bring in (web search also per search, counted in the usage). Any other
(code execution's container, by the hour past the free hours no response counts; a tool released after this
list) may be billed beside the tokens: its call is unpriced."""


def billed_tool(block: Any) -> bool:
    """A ``server_tool_use`` block of a tool that may be billed beside the tokens."""
    return _get(block, "type") == "server_tool_use" and _get(block, "name") not in _TOKENS_ONLY_SERVER_TOOLS


def with_billed_tools(found: TokenUsage | None, count: int) -> TokenUsage | None:
    if found is not None and count:
        found.extras = (Extras(unpriced_tools=count) if found.extras is None
                        else dataclasses.replace(found.extras, unpriced_tools=count))
    return found


_GLOBAL_REGION: Final = "global"
"""Vertex AI's global endpoint: Claude at Anthropic's list rates (those genai-prices has)."""


def with_region(found: TokenUsage | None, region: str | None) -> TokenUsage | None:
    """A call sent to a Vertex AI region other than global is billed above the table's rates: say so."""
    if found is not None and region is not None and region != _GLOBAL_REGION:
        found.extras = dataclasses.replace(found.extras or Extras(), region=region)
    return found
