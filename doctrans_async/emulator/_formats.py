"""The one table of formats the service reads: what the formats routes list and ``document:translate`` accepts.

The lists are the real service's (``tests/recorded/cassettes/py-2024-05-01-document-formats.json`` and
``py-v1.0-glossary-formats.json``), in its order, with ``defaultVersion``/``versions`` only where it sends them.
"""

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
    synchronous: bool = False
    """``document:translate`` accepts it (a glossary format: as a glossary part)."""
    textual: bool = False
    """UTF-8 text the emulator "translates"; other documents come back unchanged."""
    default_version: str | None = None
    versions: tuple[str, ...] = ()

    def json(self, *, typed: bool) -> dict[str, Any]:
        """The formats routes' item; ``typed`` adds ``type`` (2024-05-01 and later)."""
        item: dict[str, Any] = {
            "format": self.name,
            "fileExtensions": list(self.extensions),
            "contentTypes": list(self.content_types),
        }
        if self.default_version is not None:
            item["defaultVersion"] = self.default_version
        if self.versions:
            item["versions"] = list(self.versions)
        if typed:
            item["type"] = self.kind
        return item


def _document(name: str, extensions: str, types: str, *, sync: bool = False, text: bool = False) -> Format:
    return Format(name, tuple(extensions.split()), tuple(types.split()), "Document", sync, text)


def _glossary(name: str, extensions: str, types: str) -> Format:
    return Format(name, tuple(extensions.split()), tuple(types.split()), "Glossary", synchronous=True, textual=True)


def _xliff(base: Format) -> Format:
    return attrs.evolve(base, default_version="1.2", versions=("1.0", "1.1", "1.2"))


_OPEN_XML = "application/vnd.openxmlformats-officedocument"
_OPEN_DOCUMENT = "application/vnd.oasis.opendocument"
_MARKDOWN_EXTENSIONS = ".markdown .mdown .mkdn .md .mkd .mdwn .mdtxt .mdtext .rmd"
# Which formats document:translate takes follows the service's documentation of synchronous translation; PDF is
# batch-only there (the synchronous route refuses it with InvalidFormat, seen by users of the real service).
FORMATS: dict[str, list[Format]] = {
    "document": [
        _document("PlainText", ".txt", "text/plain", sync=True, text=True),
        _document("RichTextFormat", ".rtf", "application/rtf"),
        _document("OpenXmlWord", ".docx", f"{_OPEN_XML}.wordprocessingml.document", sync=True),
        _document("OpenXmlPresentation", ".pptx", f"{_OPEN_XML}.presentationml.presentation", sync=True),
        _document("OpenXmlSpreadsheet", ".xlsx", f"{_OPEN_XML}.spreadsheetml.sheet", sync=True),
        _document("WordDocument", ".doc", "application/msword"),
        _document("PowerpointPresentation", ".ppt", "application/vnd.ms-powerpoint"),
        _document("ExcelSpreadsheet", ".xls", "application/vnd.ms-excel"),
        _document("OpenDocumentText", ".odt", f"{_OPEN_DOCUMENT}.text"),
        _document("OpenDocumentPresentation", ".odp", f"{_OPEN_DOCUMENT}.presentation"),
        _document("OpenDocumentSpreadsheet", ".ods", f"{_OPEN_DOCUMENT}.spreadsheet"),
        _document("OutlookMailMessage", ".msg", "application/vnd.ms-outlook", sync=True),
        _document("OfficeOpenXml", ".xml .ooxml", _OPEN_XML),
        _document("HtmlFile", ".html .htm", "text/html", sync=True, text=True),
        _document("Markdown", _MARKDOWN_EXTENSIONS, "text/markdown text/x-markdown text/plain", sync=True, text=True),
        _document("Mhtml", ".mhtml .mht", "message/rfc822 application/x-mimearchive multipart/related", sync=True),
        _xliff(_document("XLIFF", ".xlf", "application/xliff+xml", sync=True, text=True)),
        _document("TSV", ".tsv .tab", "text/tab-separated-values", sync=True, text=True),
        _document("CSV", ".csv", "text/csv", sync=True, text=True),
        _document("PortableDocumentFormat", ".pdf", "application/pdf"),
        _document("StreamJSONFile", ".json", "application/json"),
    ],
    "glossary": [
        _xliff(_glossary("XLIFF", ".xlf", "application/xliff+xml")),
        _glossary("TSV", ".tsv .tab", "text/tab-separated-values"),
        _glossary("CSV", ".csv", "text/csv"),
    ],
}
"""Every format, by the formats route's ``type``: the one table the formats routes and ``document:translate`` read."""


def _by_content_type(kind: str) -> dict[str, Format]:
    found: dict[str, Format] = {}
    for f in FORMATS[kind]:
        for content_type in f.content_types if f.synchronous else ():
            # The first format listed with a content type keeps it: text/plain is PlainText, not Markdown.
            found.setdefault(content_type, f)
    return found


SYNCHRONOUS_FORMATS = {"document": _by_content_type("document"), "glossary": _by_content_type("glossary")}
"""What ``document:translate`` accepts in each kind of part, by content type."""
