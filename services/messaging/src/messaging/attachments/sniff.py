"""An upload's content type, checked against its bytes (no I/O).

What the bytes show (their magic numbers, via `filetype`) wins: a declared type that says
otherwise is refused, so a file cannot pass for what it is not. Bytes with no magic number are
accepted as text only if they are UTF-8, or as `application/octet-stream`; any other declared type
for them (an "image/png" that is not one) is refused.
"""

from __future__ import annotations

import codecs

import filetype

OCTET_STREAM = "application/octet-stream"
# Declared types that describe text, which has no magic number to check.
TEXT_TYPES = ("application/json", "application/xml", "application/csv")
# filetype names some formats differently from what browsers and clients send for them.
ALIASES = {"audio/x-wav": "audio/wav", "audio/x-flac": "audio/flac", "application/x-zip-compressed": "application/zip"}


class ContentTypeMismatch(ValueError):
    pass


def _normal(content_type: str | None) -> str:
    base = (content_type or OCTET_STREAM).split(";", 1)[0].strip().lower()
    return ALIASES.get(base, base) or OCTET_STREAM


def checked_type(declared: str | None, head: bytes) -> str:
    """The type to store, from the declared one and the file's first bytes; ContentTypeMismatch
    when they disagree."""
    claimed = _normal(declared)
    sniffed = filetype.guess_mime(head) if head else None
    if sniffed is not None:
        sniffed = _normal(sniffed)
        if claimed not in (sniffed, OCTET_STREAM):
            raise ContentTypeMismatch(f"The file is {sniffed}, not {claimed}.")
        return sniffed
    if claimed == OCTET_STREAM:
        return OCTET_STREAM
    if claimed.startswith("text/") or claimed in TEXT_TYPES:
        return claimed  # its bytes are checked as UTF-8 while they are read (TextCheck)
    raise ContentTypeMismatch(f"The file's bytes are not {claimed}.")


def is_text(content_type: str) -> bool:
    return content_type.startswith("text/") or content_type in TEXT_TYPES


class TextCheck:
    """Incremental UTF-8 check of a text upload, chunk by chunk."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()

    def feed(self, chunk: bytes, final: bool = False) -> None:
        try:
            self._decoder.decode(chunk, final)
        except UnicodeDecodeError:
            raise ContentTypeMismatch("The file is declared as text but is not UTF-8.") from None
