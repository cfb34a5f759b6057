"""Unit tests of upload parts: what a document source becomes, its name and content type, where a stream starts."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from doctrans_async._upload import document_part


@pytest.mark.parametrize("data", [b"hello", bytearray(b"hello"), memoryview(b"hello")])
def test_bytes_like_become_bytes(data: Any) -> None:
    """bytes, bytearray and memoryview are copied to bytes (a caller's buffer may change after the call)."""
    part = document_part("document", data, "text/plain", None)
    assert part.source == b"hello"
    assert type(part.source) is bytes
    assert (part.name, part.filename, part.content_type, part.start) == ("document", "document", "text/plain", None)


def test_bytes_named_by_filename_guess_the_type() -> None:
    """Bytes with a filename take their content type from its extension."""
    part = document_part("glossary", b"a,b", None, "terms.csv")
    assert (part.filename, part.content_type) == ("terms.csv", "text/csv")


@pytest.mark.parametrize("as_str", [True, False])
def test_paths_are_kept_as_paths(tmp_path: Path, as_str: bool) -> None:
    """A path (str or PathLike) is not opened here: it stays a Path, named after the file, its type guessed."""
    path = tmp_path / "report.md"
    part = document_part("document", str(path) if as_str else path, None, None)
    assert part.source == path
    assert isinstance(part.source, Path)
    assert (part.filename, part.content_type, part.start) == ("report.md", "text/markdown", None)


def test_a_given_filename_wins_over_the_paths(tmp_path: Path) -> None:
    """filename= names the part, and its extension sets the type, whatever the path is called."""
    part = document_part("document", tmp_path / "data.bin", None, "data.html")
    assert (part.filename, part.content_type) == ("data.html", "text/html")


@pytest.mark.parametrize(
    ("filename", "content_type"),
    [
        ("a.xlf", "application/xliff+xml"),
        ("a.XLIFF", "application/xliff+xml"),
        ("a.tsv", "text/tab-separated-values"),
        ("a.tab", "text/tab-separated-values"),
        ("a.txt", "text/plain"),
        ("a.htm", "text/html"),
        ("a.markdown", "text/markdown"),
        ("a.pdf", "application/pdf"),
    ],
)
def test_content_types_guessed(filename: str, content_type: str) -> None:
    """The formats the service takes are known whatever the system's mimetypes table says, case-insensitively."""
    assert document_part("document", b"x", None, filename).content_type == content_type


def test_explicit_content_type_wins() -> None:
    """content_type= is used as given, never second-guessed from the name."""
    assert document_part("document", b"x", "text/html", "a.txt").content_type == "text/html"


def test_open_file_noted_with_where_it_starts() -> None:
    """An open file is kept (not read); its current position is where a retry sends it from again."""
    stream = io.BytesIO(b"header|content")
    stream.seek(7)
    part = document_part("document", stream, "text/plain", None)
    assert part.source is stream
    assert part.start == 7
    assert stream.tell() == 7


def test_open_file_named_after_its_file(tmp_path: Path) -> None:
    """A real file is named after its path's last part and typed by it."""
    path = tmp_path / "notes.txt"
    path.write_bytes(b"hi")
    with path.open("rb") as file:
        part = document_part("document", file, None, None)
        assert (part.filename, part.content_type, part.start) == ("notes.txt", "text/plain", 0)


def test_stream_that_cannot_seek_has_no_start() -> None:
    """A stream that cannot seek (a pipe) has no start: it can be sent only once."""

    class Pipe(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

    assert document_part("document", Pipe(), "text/plain", None).start is None  # type: ignore[arg-type]


def test_stream_whose_tell_fails_has_no_start() -> None:
    """A stream claiming to seek but failing to tell is treated as one that cannot."""

    class Liar(io.BytesIO):
        def tell(self) -> int:
            raise OSError("no position")

    assert document_part("document", Liar(b"x"), "text/plain", None).start is None


@pytest.mark.parametrize("source", [42, None, ["a"], {"path": "a.txt"}])
def test_other_sources_are_a_type_error(source: Any) -> None:
    """Anything but bytes, a path or a readable file is a TypeError naming the part."""
    with pytest.raises(TypeError, match="glossary"):
        document_part("glossary", source, "text/plain", None)


@pytest.mark.parametrize(("source", "filename"), [(b"x", None), (b"x", "README"), (b"x", "a.unknownext")])
def test_no_way_to_tell_the_format_is_a_value_error(source: bytes, filename: str | None) -> None:
    """Without content_type and without a name whose extension says the format, the part is refused before any
    request (the service would refuse it after the upload)."""
    with pytest.raises(ValueError, match="content_type"):
        document_part("document", source, None, filename)
