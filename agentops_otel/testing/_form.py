"""``multipart/form-data`` request bodies (image edits, transcriptions) as the JSON-like dict a test reads.

The SDK uploads files this way; a test asserts on the fields it sent, not on the bytes of a file, so a file
field is recorded by its name and size.
"""

from __future__ import annotations

from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

__all__ = ["decode_form"]


def decode_form(content_type: str, raw: bytes) -> dict[str, Any] | None:
    """The form's fields (``{"filename", "size"}`` for a file; a list for a repeated name); ``None`` when
    ``raw`` is not a form with a boundary."""
    message = BytesParser(policy=HTTP).parsebytes(b"content-type: " + content_type.encode("latin-1")
                                                 + b"\r\n\r\n" + raw)
    if not message.is_multipart():
        return None
    fields: dict[str, Any] = {}
    for part in message.get_payload():
        if not isinstance(part, Message):
            return None
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        data = part.get_payload(decode=True)
        data = data if isinstance(data, bytes) else b""
        filename = part.get_filename()
        value: Any = ({"filename": filename, "size": len(data)} if filename is not None
                      else data.decode("utf-8", "replace"))
        key = name.removesuffix("[]")
        if key in fields or name.endswith("[]"):
            known = fields.get(key)
            fields[key] = [*(known if isinstance(known, list) else [] if known is None else [known]), value]
        else:
            fields[key] = value
    return fields
