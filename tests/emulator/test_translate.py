"""``POST /translator/document:translate`` on the wire: the multipart upload, the "translation", the error answers."""

from __future__ import annotations

import io
import random
from collections.abc import Sequence

import aiohttp
import pytest

from doctrans_async.emulator import Fault
from doctrans_async.emulator.__main__ import emulator_of, parser

from . import AUTH, Answer, Probe, serve

WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
Part = tuple[str, bytes, str | None, str | None]
"""A form part: field name, bytes, file name, content type."""


def form(*parts: Part) -> aiohttp.MultipartWriter:
    """A multipart/form-data body of ``parts``, built by hand so a part can lack a file name or content type."""
    body = aiohttp.MultipartWriter("form-data")
    for name, value, filename, content_type in parts:
        headers = {} if content_type is None else {"Content-Type": content_type}
        part = body.append(io.BytesIO(value), headers)
        if filename is None:
            part.set_content_disposition("form-data", name=name)
        else:
            part.set_content_disposition("form-data", name=name, filename=filename)
    return body


def document(data: bytes, content_type: str | None = "text/plain", filename: str | None = "doc.txt") -> Part:
    """A ``document`` part."""
    return ("document", data, filename, content_type)


def glossary(text: str, content_type: str, filename: str) -> Part:
    """A ``glossary`` part."""
    return ("glossary", text.encode(), filename, content_type)


async def translate(
    probe: Probe,
    *parts: Part,
    query: str = "targetLanguage=fr",
    version: str = "2024-05-01",
    body: aiohttp.MultipartWriter | bytes | None = None,
) -> Answer:
    """POST ``parts`` (or ``body``) to document:translate in ``version`` with ``query``."""
    url = f"{probe.emulator.endpoint}/translator/document:translate?api-version={version}&{query}"
    return await probe.send("POST", url, data=body if body is not None else form(*parts))


def error_of(answer: Answer) -> tuple[int, str, str]:
    """Status, error code and target of an error answer."""
    error = answer.json()["error"]
    return answer.status, error["code"], error["target"]


# --- the translation -------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2024-05-01", "2026-03-01"])
async def test_a_text_document_comes_back_with_each_line_marked_with_the_target_language(version: str) -> None:
    """A text/plain upload answers 200 octet-stream: each non-blank line prefixed ``[de] ``, blank lines kept."""
    async with serve() as probe:
        answer = await translate(probe, document(b"Hello\r\n\r\nWorld\n"), query="targetLanguage=de", version=version)
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "application/octet-stream"
    assert answer.data == b"[de] Hello\r\n\r\n[de] World\n"
    assert answer.headers["apim-request-id"] == answer.headers["X-RequestId"]


@pytest.mark.parametrize(
    ("content_type", "source"),
    [("text/html", "<p>cat</p>"), ("text/markdown", "# cat"), ("text/csv", "cat,1"), ("application/xliff+xml", "<x/>")],
)
async def test_every_text_format_is_translated(content_type: str, source: str) -> None:
    """HTML, Markdown, CSV and XLIFF documents are text too, and come back prefixed."""
    async with serve() as probe:
        answer = await translate(probe, document(source.encode(), content_type, "doc"))
    assert answer.data == f"[fr] {source}".encode()


async def test_a_binary_document_comes_back_unchanged() -> None:
    """A Word document (content type with parameters, in any case) is accepted and returned byte for byte."""
    docx = bytes(range(256)) * 40
    async with serve() as probe:
        answer = await translate(probe, document(docx, f"{WORD.upper()}; name=x", "report.docx"))
    assert (answer.status, answer.data) == (200, docx)


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        (
            glossary("cat\tchat\ncat flap\tchatiere\n", "text/tab-separated-values", "a.tsv"),
            b"chat sat on the chatiere",
        ),
        (glossary('"cat flap",chatiere\n', "text/csv", "b.csv"), b"cat sat on the chatiere"),
        (glossary("<xliff/>", "application/xliff+xml", "c.xlf"), b"cat sat on the cat flap"),
    ],
    ids=["tsv", "csv", "xliff"],
)
async def test_tsv_and_csv_glossaries_replace_their_terms_and_xliff_ones_are_accepted(
    part: Part, expected: bytes
) -> None:
    """Each TSV/CSV glossary row ``source,target`` replaces the term; the longer term wins; XLIFF changes nothing."""
    async with serve() as probe:
        answer = await translate(probe, document(b"the cat sat on the cat flap\n"), part)
    assert answer.data == b"[fr] the " + expected + b"\n"


async def test_a_second_glossary_is_400_as_recorded() -> None:
    """Two glossaries are refused with the recorded 400 InvalidRequest (MaxGlossaryFilesExceeded) and its header."""
    async with serve() as probe:
        tsv = glossary("cat\tchat\n", "text/tab-separated-values", "a.tsv")
        answer = await translate(probe, document(b"the cat\n"), tsv, tsv)
    assert error_of(answer) == (400, "InvalidRequest", "GlossaryBodies")
    assert answer.json()["error"]["innerError"]["code"] == "MaxGlossaryFilesExceeded"
    assert answer.headers["x-ms-error-code"] == "InvalidRequest"


# --- errors ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "targetLanguage=", "targetLanguage=%20", "sourceLanguage=en"])
async def test_no_target_language_is_400_invalid_argument(query: str) -> None:
    """Without a (non-blank) targetLanguage the answer is 400 InvalidArgument aimed at targetLanguage."""
    async with serve() as probe:
        answer = await translate(probe, document(b"x"), query=query)
    assert error_of(answer) == (400, "InvalidArgument", "targetLanguage")
    assert set(answer.json()["error"]) == {"code", "message", "target", "innerError"}


@pytest.mark.parametrize(
    "part",
    [
        document(b"%PDF-1.7", "application/pdf", "a.pdf"),
        document(b"\x89PNG", "image/png", "a.png"),
        document(b"x", None, "a.txt"),
        glossary("a\tb", "text/plain", "g.txt"),
    ],
    ids=["pdf-is-batch-only", "image", "octet-stream", "glossary-as-text"],
)
async def test_a_format_the_route_does_not_take_is_400_invalid_format(part: Part) -> None:
    """PDF, images, a generic octet-stream part and a glossary of a non-glossary type: 400 InvalidFormat."""
    async with serve() as probe:
        parts = [part] if part[0] == "document" else [document(b"x"), part]
        answer = await translate(probe, *parts)
    assert error_of(answer) == (400, "InvalidFormat", "ContentType")
    assert answer.json()["error"]["message"] == "The format parameter is not valid."


async def test_the_size_limit_admits_exactly_max_document_bytes_and_refuses_one_more() -> None:
    """max_document_bytes=64: a 64-byte document is translated, 65 bytes is 413 RequestEntityTooLarge."""
    async with serve(max_document_bytes=64) as probe:
        fits = await translate(probe, document(b"x" * 64))
        too_big = await translate(probe, document(b"x" * 65))
    assert fits.status == 200
    assert error_of(too_big) == (413, "RequestEntityTooLarge", "Document")


async def test_a_huge_upload_is_refused_while_it_streams_and_the_connection_stays_usable() -> None:
    """An 8 MiB document against a 1 KiB limit is answered 413; the next request is served normally."""
    async with serve(max_document_bytes=1024) as probe:
        too_big = await translate(probe, document(b"y" * (8 * 1024 * 1024)))
        after = await translate(probe, document(b"ok"))
    assert error_of(too_big) == (413, "RequestEntityTooLarge", "Document")
    assert after.data == b"[fr] ok"


async def test_a_glossary_over_one_mebibyte_is_413() -> None:
    """Glossaries have their own limit, the service's 1 MB."""
    async with serve() as probe:
        answer = await translate(probe, document(b"x"), glossary("a\tb\n" * 300_000, "text/csv", "g.csv"))
    assert error_of(answer) == (413, "RequestEntityTooLarge", "Glossary")


async def test_no_mangled_upload_gets_a_500() -> None:
    """300 seeded random mutations of a valid upload (bytes dropped, inserted, changed, the body cut) each get an
    answer below 500: a malformed request is the client's fault, whatever breaks in it."""
    valid = (
        b"--xyz\r\n" + _PART + b"hello\r\n--xyz\r\n"
        b'Content-Disposition: form-data; name="glossary"; filename="g.csv"\r\nContent-Type: text/csv\r\n\r\n'
        b"a,b\r\n--xyz--\r\n"
    )
    source = random.Random(7)
    async with serve() as probe:
        url = f"{probe.emulator.endpoint}/translator/document:translate?api-version=2024-05-01&targetLanguage=fr"
        headers = {**AUTH, "Content-Type": "multipart/form-data; boundary=xyz"}
        statuses = [
            (await probe.send("POST", url, headers=headers, data=_mangled(valid, source))).status for _ in range(300)
        ]
    assert max(statuses) < 500
    assert 400 in statuses


def _mangled(data: bytes, source: random.Random) -> bytes:
    mangled = bytearray(data)
    for _ in range(source.randint(1, 6)):
        at = source.randrange(len(mangled) + 1)
        how = source.randrange(4)
        if how == 0:
            del mangled[at : at + 1]
        elif how == 1:
            mangled[at:at] = bytes([source.randrange(256)])
        elif how == 2:
            mangled[at : at + 1] = bytes([source.randrange(256)])
        else:
            del mangled[at:]
    return bytes(mangled)


@pytest.mark.parametrize(
    ("parts", "body"),
    [
        ((), b"just bytes"),
        ((glossary("a,b", "text/csv", "g.csv"),), None),
        ((document(b"x", "text/plain", None),), None),
    ],
    ids=["not-multipart", "no-document-part", "no-file-name"],
)
async def test_a_body_without_a_named_document_file_is_400_invalid_request(
    parts: Sequence[Part], body: bytes | None
) -> None:
    """A body that is not multipart, has no document part, or a document without a file name: 400 InvalidRequest."""
    async with serve() as probe:
        answer = await translate(probe, *parts, body=body)
    assert error_of(answer) == (400, "InvalidRequest", "Document")
    assert answer.json()["error"]["innerError"]["code"] == "MissingDocument"


_PART = b'Content-Disposition: form-data; name="document"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\n'
MALFORMED_MULTIPART = {
    "no-boundary": ("multipart/form-data", b"garbage"),
    "other-boundary": ("multipart/form-data; boundary=xyz", b"--abc\r\n" + _PART + b"hi\r\n--abc--\r\n"),
    "unterminated": ("multipart/form-data; boundary=xyz", b"--xyz\r\n" + _PART + b"hi"),
    "empty": ("multipart/form-data; boundary=xyz", b""),
    "binary-part-header": ("multipart/form-data; boundary=xyz", b"--xyz\r\n\xff\xfe: \x00\r\n\r\nx\r\n--xyz--\r\n"),
    "overlong-part-header": ("multipart/form-data; boundary=xyz", b"--xyz\r\n" + b"A" * 100_000 + b"\r\n\r\nx\r\n"),
    "broken-disposition": (
        "multipart/form-data; boundary=xyz",
        b'--xyz\r\nContent-Disposition: form-data; name="document; filename=\r\n\r\nx\r\n--xyz--\r\n',
    ),
    "broken-disposition-parameter": (
        "multipart/form-data; boundary=xyz",
        b'--xyz\r\nContent-Disposition: form-data; 6 name="document"; filename="a.txt"\r\n\r\nx\r\n--xyz--\r\n',
    ),
}


@pytest.mark.parametrize(("content_type", "body"), MALFORMED_MULTIPART.values(), ids=list(MALFORMED_MULTIPART))
async def test_a_malformed_multipart_body_is_400_never_500(content_type: str, body: bytes) -> None:
    """Whatever is wrong in the multipart body, the answer is a 400 InvalidRequest with the service's error body."""
    async with serve() as probe:
        url = f"{probe.emulator.endpoint}/translator/document:translate?api-version=2024-05-01&targetLanguage=fr"
        answer = await probe.send("POST", url, headers={**AUTH, "Content-Type": content_type}, data=body)
    assert answer.status == 400
    assert answer.json()["error"]["code"] == "InvalidRequest"
    assert answer.headers["x-ms-error-code"] == "InvalidRequest"


async def test_two_documents_are_400_and_unknown_fields_are_ignored() -> None:
    """One document per request; a field the service does not know is skipped."""
    async with serve() as probe:
        two = await translate(probe, document(b"a"), document(b"b"))
        extra = await translate(probe, ("note", b"hi", None, None), document(b"a"))
    assert error_of(two) == (400, "InvalidRequest", "Document")
    assert extra.data == b"[fr] a"


async def test_a_text_document_that_is_not_utf8_is_400_wrong_encoding() -> None:
    """Text that does not decode as UTF-8 is refused with the document encoding error."""
    async with serve() as probe:
        answer = await translate(probe, document("caf\u00e9".encode("latin-1")))
    assert error_of(answer) == (400, "InvalidRequest", "Document")
    assert answer.json()["error"]["innerError"]["code"] == "WrongDocumentEncoding"


async def test_the_route_needs_the_key_and_an_api_version_and_v1_has_none() -> None:
    """No key: the gateway's 401; no api-version: 400; a v1.x path or api-version: the gateway's 404."""
    async with serve() as probe:
        base = f"{probe.emulator.endpoint}/translator"
        no_key = await probe.send("POST", f"{base}/document:translate?api-version=2024-05-01", headers={})
        no_version = await probe.send("POST", f"{base}/document:translate?targetLanguage=fr", data=form(document(b"x")))
        v1_path = await probe.send("POST", f"{base}/text/batch/v1.0:translate?targetLanguage=fr")
        v1_version = await translate(probe, document(b"x"), version="v1.0")
    assert (no_key.status, no_key.json()["error"]["code"]) == (401, "401")
    assert error_of(no_version)[:2] == (400, "InvalidRequest")
    gateway_404 = {"error": {"code": "404", "message": "Resource not found"}}
    assert [a.json() for a in (v1_path, v1_version)] == [gateway_404, gateway_404]


# --- faults and the log ----------------------------------------------------------------------------------


async def test_faults_scripted_on_translate_change_what_is_sent() -> None:
    """A 503 with Retry-After, then a truncated document, then normal service again."""
    async with serve() as probe:
        probe.emulator.faults.script("translate", [Fault.http(503, retry_after=2), Fault.truncated()])
        answers = [await translate(probe, document(b"0123456789")) for _ in range(3)]
    assert [a.status for a in answers] == [503, 200, 200]
    assert answers[0].headers["Retry-After"] == "2"
    assert answers[1].data == b"[fr] 01"  # the first half of "[fr] 0123456789"
    assert answers[2].data == b"[fr] 0123456789"


async def test_the_log_records_translate_requests_with_their_query() -> None:
    """Each upload is logged on the translate route with its query parameters and status."""
    async with serve() as probe:
        await translate(probe, document(b"x"), query="targetLanguage=fr&sourceLanguage=en&category=tech")
        await translate(probe, document(b"x", "application/pdf", "a.pdf"))
        log = probe.emulator.requests
    assert [(r.method, r.route, r.status) for r in log] == [("POST", "translate", 200), ("POST", "translate", 400)]
    assert log[0].query == {
        "api-version": "2024-05-01",
        "targetLanguage": "fr",
        "sourceLanguage": "en",
        "category": "tech",
    }


async def test_the_formats_route_lists_what_the_route_reads() -> None:
    """The document formats listed include the Office formats, CSV, TSV and XLIFF the upload route takes."""
    async with serve() as probe:
        listed = await probe.get(probe.url("2024-05-01", "/formats", "type=document"))
    types = {t for f in listed.json()["value"] for t in f["contentTypes"]}
    assert {WORD, "text/csv", "text/tab-separated-values", "application/xliff+xml", "application/pdf"} <= types


# --- python -m doctrans_async.emulator --------------------------------------------------------------------


async def test_command_line_start_and_size_options_reach_the_emulator() -> None:
    """--start-documents/-seconds/-failures shape POSTed batches; --max-document-bytes limits uploads."""
    argv = ["--key", "k", "--port", "0", "--start-documents", "3", "--start-seconds", "0", "--start-failures", "1"]
    emulator = emulator_of(parser().parse_args([*argv, "--max-document-bytes", "4"]))
    body = {"inputs": [{"source": {"sourceUrl": "s"}, "targets": [{"targetUrl": "t", "language": "fr"}]}]}
    async with emulator, aiohttp.ClientSession() as session:
        probe = Probe(emulator, session)
        auth = {"Ocp-Apim-Subscription-Key": "k"}
        started = await probe.send("POST", probe.url("2024-05-01", "/batches"), headers=auth, body=body)
        status = await probe.get(started.headers["Operation-Location"], headers=auth)
        url = f"{emulator.endpoint}/translator/document:translate?api-version=2024-05-01&targetLanguage=fr"
        too_big = await probe.send("POST", url, headers=auth, data=form(document(b"12345")))
    assert status.json()["summary"]["total"] == 3
    assert status.json()["summary"]["failed"] == 1
    assert too_big.status == 413


@pytest.mark.parametrize(
    ("flags", "retry_after", "link"),
    [
        ([], "1", "$orderBy=createdDateTimeUtc asc"),
        (["--retry-after", "7", "--encoded-links"], "7", "$orderBy=createdDateTimeUtc%20asc"),
        (["--no-retry-after"], None, "$orderBy=createdDateTimeUtc asc"),
    ],
    ids=["defaults", "retry-after-and-encoded", "no-retry-after"],
)
async def test_command_line_retry_after_and_link_options_reach_the_emulator(
    flags: list[str], retry_after: str | None, link: str
) -> None:
    """Retry-After is 1 by default (as the real service), --retry-after S or --no-retry-after change it;
    --encoded-links writes the order's space in next links as %20."""
    emulator = emulator_of(parser().parse_args(["--key", "k", "--port", "0", "--page-size", "1", *flags]))
    auth = {"Ocp-Apim-Subscription-Key": "k"}
    async with emulator, aiohttp.ClientSession() as session:
        probe = Probe(emulator, session)
        batch_id = emulator.add_batch(seconds=3600)
        emulator.add_batch()
        status = await probe.get(emulator.batch_url(batch_id), headers=auth)
        page = await probe.get(probe.url("v1.0", "/batches", "$orderBy=createdDateTimeUtc%20asc"), headers=auth)
    assert status.headers.get("Retry-After") == retry_after
    assert page.json()["@nextLink"].endswith(link)
