"""What an upload is made of: a document (bytes, a path or an open binary file) turned into a multipart part.

Pure: nothing is read here. Paths are opened when the request is sent, once per attempt, and an open file is
noted with where its content starts, so that a retry can send it again from there.
"""

from __future__ import annotations

import contextlib
import mimetypes
import os
from pathlib import Path
from typing import BinaryIO

from doctrans_async._sansio import Part

__all__ = ["DocumentSource", "document_part"]

DocumentSource = bytes | str | os.PathLike[str] | BinaryIO
"""A document to upload: its bytes, a path to it, or a binary file open for reading."""


# Formats the mimetypes table does not know (or knows differently on some systems).
_CONTENT_TYPES = {
    ".xlf": "application/xliff+xml",
    ".xliff": "application/xliff+xml",
    ".tsv": "text/tab-separated-values",
    ".tab": "text/tab-separated-values",
    ".csv": "text/csv",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".txt": "text/plain",
    ".html": "text/html",
    ".htm": "text/html",
}


def _guess_content_type(filename: str) -> str | None:
    suffix = Path(filename).suffix.lower()
    return _CONTENT_TYPES.get(suffix) or mimetypes.guess_type(filename)[0]


def document_part(name: str, source: DocumentSource, content_type: str | None, filename: str | None) -> Part:
    """The multipart part ``name`` for ``source``; its content type is given or guessed from the file name."""
    start: int | None = None
    if isinstance(source, bytes | bytearray | memoryview):
        data: bytes | Path | BinaryIO = bytes(source)
    elif isinstance(source, str | os.PathLike):
        data = Path(source)
        filename = filename or data.name
    elif callable(getattr(source, "read", None)):
        data = source
        filename = filename or os.path.basename(str(getattr(source, "name", "")))
        with contextlib.suppress(OSError, ValueError, AttributeError):
            start = source.tell() if source.seekable() else None
    else:
        raise TypeError(f"a {name} must be bytes, a path or a binary file, not {type(source).__name__}")
    content_type = content_type or (_guess_content_type(filename) if filename else None)
    if content_type is None:
        raise ValueError(f"cannot tell the {name}'s format: pass content_type= or a filename with an extension")
    return Part(name, filename or name, content_type, data, start)
