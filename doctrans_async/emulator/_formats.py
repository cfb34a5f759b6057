"""The one table of formats the service reads: what the formats routes list and ``document:translate`` accepts."""

from __future__ import annotations

from typing import Any, Literal

import attrs

__all__ = ["FORMATS", "SYNCHRONOUS_FORMATS", "Format"]


@attrs.frozen
class Format:
    """One format the service reads: a row of the formats routes, and what ``document:translate`` does with it."""

    name: str
    extensions: tuple[str, ...]
    content_types: tuple[str, ...]
    kind: Literal["Document", "Glossary"]
    synchronous: bool = True
    """``document:translate`` accepts it (a glossary format: as a glossary part)."""
    textual: bool = False
    """UTF-8 text the emulator "translates"; other documents come back unchanged."""

    def json(self) -> dict[str, Any]:
        """The formats routes' item (v1.x drops ``type``)."""
        return {
            "format": self.name,
            "fileExtensions": list(self.extensions),
            "contentTypes": list(self.content_types),
            "versions": [],
            "type": self.kind,
        }


def _document(name: str, extensions: str, content_type: str, *, synchronous: bool = True) -> Format:
    textual = content_type.startswith("text/") or content_type.endswith("+xml")
    return Format(name, tuple(extensions.split()), (content_type,), "Document", synchronous, textual)


def _glossary(name: str, extensions: str, content_type: str) -> Format:
    return Format(name, tuple(extensions.split()), (content_type,), "Glossary", textual=True)


_OPEN_XML = "application/vnd.openxmlformats-officedocument"
# Names as the real formats route spells them. PDF is batch-only: the synchronous route refuses it with
# InvalidFormat (seen by users of the real service), though the formats route lists it.
FORMATS: dict[str, list[Format]] = {
    "document": [
        _document("PlainText", ".txt", "text/plain"),
        _document("HtmlFile", ".html .htm", "text/html"),
        _document("PortableDocumentFormat", ".pdf", "application/pdf", synchronous=False),
        _document("OpenXmlWord", ".docx", f"{_OPEN_XML}.wordprocessingml.document"),
        _document("OpenXmlSpreadsheet", ".xlsx", f"{_OPEN_XML}.spreadsheetml.sheet"),
        _document("OpenXmlPresentation", ".pptx", f"{_OPEN_XML}.presentationml.presentation"),
        _document("OutlookMailMessage", ".msg", "application/vnd.ms-outlook"),
        _document("Markdown", ".md .markdown", "text/markdown"),
        _document("CSV", ".csv", "text/csv"),
        _document("TSV", ".tsv .tab", "text/tab-separated-values"),
        _document("XLIFF", ".xlf", "application/xliff+xml"),
    ],
    "glossary": [
        _glossary("XLIFF", ".xlf .xliff", "application/xliff+xml"),
        _glossary("TSV", ".tsv .tab", "text/tab-separated-values"),
        _glossary("CSV", ".csv", "text/csv"),
    ],
}
"""Every format, by the formats route's ``type``: the one table the formats routes and ``document:translate`` read."""


def _by_content_type(kind: str) -> dict[str, Format]:
    return {t: f for f in FORMATS[kind] if f.synchronous for t in f.content_types}


SYNCHRONOUS_FORMATS = {"document": _by_content_type("document"), "glossary": _by_content_type("glossary")}
"""What ``document:translate`` accepts in each kind of part, by content type."""
