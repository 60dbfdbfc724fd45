"""An answer's body as a cassette keeps it (:func:`kept`), and the bytes a replay sends for it (:func:`sent`).

A JSON answer is kept as JSON data (secrets masked), as it always was: the SDK parses it, so the bytes
need not be the provider's. Any other answer — speech audio, an image or a file's content as bytes, a
``text/plain`` file, a proxy's HTML error page — is handed to the agent as bytes, so it must replay as
the bytes and content type the provider sent. Text is kept as text (readable in review, credentials
masked as in any other text); media and undecodable bytes as base64 (``body_encoding``), which holds no
text to mask. A cassette recorded before the content type was kept has none: its body replays as JSON,
as it did then.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import json
from typing import TYPE_CHECKING, Any, Final

from .._redact import mask_shapes
from ._masking import mask

if TYPE_CHECKING:
    from ._cassette import LLMStep

__all__ = ["BASE64", "bad_body", "kept", "sent"]

BASE64: Final = "base64"
_MEDIA: Final = ("audio/", "image/", "video/", "font/")
"""Content whose bytes are not text (but an SVG, ``+xml``): kept as base64 unless a credential shows in them."""


def kept(raw: bytes, content_type: str) -> tuple[Any, str | None, str | None]:
    """``(body, content_type, body_encoding)`` for an answer of ``raw`` bytes: ``content_type`` None for JSON."""
    media = content_type.partition(";")[0].strip().lower()
    if not media or "json" in media:
        try:
            return mask(json.loads(raw), keys=False, answer=True), None, None
        except (ValueError, RecursionError):
            pass  # not JSON whatever it says: kept as the text or bytes it is
    charset = _charset(content_type)
    if not media.startswith(_MEDIA) or media.endswith("+xml"):  # an SVG is XML text
        try:
            return mask_shapes(raw.decode(charset)), content_type, None
        except UnicodeDecodeError:
            pass
    view = raw.decode("latin-1")
    if mask_shapes(view) != view:
        # Bytes that are not text but hold a credential (an ID3 or EXIF tag, a binary blob): losing a
        # few bytes of the answer is better than keeping the credential.
        return mask_shapes(raw.decode(charset, errors="replace")), content_type, None
    return _b64(raw), content_type, BASE64


def sent(step: LLMStep) -> tuple[bytes, str]:
    """The bytes and content type a replay answers ``step`` with."""
    if step.content_type is None:
        return json.dumps(step.body).encode(), "application/json"
    if step.body_encoding == BASE64:
        return base64.b64decode(step.body), step.content_type
    return str(step.body).encode(_charset(step.content_type), errors="replace"), step.content_type


def bad_body(step: LLMStep) -> str | None:
    """Why ``step``'s kept body cannot be replayed (a hand edit), or None."""
    if step.body_encoding is not None and step.body_encoding != BASE64:
        return f"has body_encoding {step.body_encoding!r} (only {BASE64!r} is known)"
    if step.body_encoding is not None and step.content_type is None:
        return "has a body_encoding but no content_type"
    if step.content_type is not None and not isinstance(step.body, str):
        return f"has content_type {step.content_type!r} but its body is not a string"
    if step.body_encoding == BASE64:
        try:
            base64.b64decode(step.body, validate=True)
        except (binascii.Error, ValueError):
            return "has a body that is not base64"
    return None


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _charset(content_type: str) -> str:
    """The content type's charset when Python knows it, else UTF-8 (what the SDKs assume)."""
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            try:
                return codecs.lookup(value.strip().strip('"')).name
            except LookupError:
                break
    return "utf-8"
