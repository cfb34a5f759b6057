"""The emulator's stand-in for machine translation: deterministic, recognisable at a glance, and pure (no I/O).

A "translation" into ``fr`` prefixes every non-blank line with ``[fr] `` after applying the glossaries' pairs, so a
test can tell a translated document from its source, see which language it went to and whether a glossary term
was used. Line endings, blank lines and everything else are kept as they were.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping

__all__ = ["GLOSSARY_DELIMITERS", "glossary_pairs", "translate_text"]

GLOSSARY_DELIMITERS: Mapping[str, str] = {"text/tab-separated-values": "\t", "text/csv": ","}
"""Glossary content types whose ``source<delimiter>target`` rows are applied; XLIFF glossaries are accepted but
not applied (parsing them would teach the tests nothing the two simple formats do not)."""


def glossary_pairs(text: str, content_type: str) -> list[tuple[str, str]]:
    """The ``(source, target)`` pairs of a glossary's text; none for a format that is not applied."""
    delimiter = GLOSSARY_DELIMITERS.get(content_type)
    if delimiter is None:
        return []
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [(row[0], row[1]) for row in rows if len(row) >= 2 and row[0]]


def translate_text(text: str, target_language: str, glossary: Iterable[tuple[str, str]] = ()) -> str:
    """``text`` with the glossary's terms replaced and ``[target_language] `` before each non-blank line.

    Terms are replaced in one pass, longest first, so a replacement is never itself replaced again; a later
    glossary's pair for the same term wins.
    """
    terms = dict(glossary)
    if terms:
        pattern = re.compile("|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True)))
        text = pattern.sub(lambda match: terms[match.group()], text)
    prefix = f"[{target_language}] "
    return "".join(prefix + line if line.strip() else line for line in text.splitlines(keepends=True))
