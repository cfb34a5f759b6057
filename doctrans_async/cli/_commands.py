"""What each ``doctrans`` command does, as coroutines: testable on a virtual clock, run by ``main``."""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import sys
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

from doctrans_async._auth import AsyncTokenCredential
from doctrans_async._client import DocumentTranslationClient
from doctrans_async._clock import Clock, SystemClock
from doctrans_async._errors import DocumentTranslationError, PollingTimeoutError, UnsupportedOperationError
from doctrans_async._models import BatchStatus, DocumentStatus, Status
from doctrans_async._polling import PollPolicy
from doctrans_async._redact import Redactor
from doctrans_async._upload import document_part
from doctrans_async.cli._parser import Connection, ExitCode, connection_of, exit_code_for
from doctrans_async.cli._pipes import output_gone, write_bytes
from doctrans_async.cli._render import (
    DOCUMENT_COLUMNS,
    Renderer,
    counts,
    document_row,
    make_renderer,
    summary_rows,
    to_json,
)

__all__ = ["LIVE_POLL", "run", "wait_and_report"]

LIVE_POLL = PollPolicy(initial_interval=0.5, max_interval=2.0)
"""Polls often enough for a live bar to move smoothly; plain output keeps the client's sparing default."""

_FAKE_STORE = "https://demo-storage.example.invalid"
"""The demo's made-up blob host: the emulator never fetches it, and nothing leaves the machine."""


class _HasStatus(Protocol):
    @property
    def status(self) -> Status: ...


S = TypeVar("S", bound=_HasStatus)
Handler = Callable[[DocumentTranslationClient, argparse.Namespace, Renderer], Awaitable[int]]


_NO_AZURE_IDENTITY = (
    "--credential azure needs the azure-identity package, which is not installed: "
    "pip install azure-identity (or pass a key with --key or $DOCTRANS_KEY)"
)


def azure_credential() -> AsyncTokenCredential:
    """azure-identity's async ``DefaultAzureCredential``; ``ValueError`` (a usage error) when it is not installed."""
    try:
        identity = importlib.import_module("azure.identity.aio")
    except ImportError:
        raise ValueError(_NO_AZURE_IDENTITY) from None
    credential: AsyncTokenCredential = identity.DefaultAzureCredential()
    return credential


def open_client(
    connection: Connection,
    *,
    clock: Clock,
    poll: PollPolicy | None = None,
    credential: AsyncTokenCredential | None = None,
) -> DocumentTranslationClient:
    """A client for ``connection`` (by key, or by ``credential``); the API version is left to the client's
    default unless one was chosen."""
    version: dict[str, Any] = {} if connection.api_version is None else {"api_version": connection.api_version}
    auth: dict[str, Any] = {"credential": credential} if credential is not None else {"key": connection.key}
    return DocumentTranslationClient(
        connection.endpoint, region=connection.region, poll=poll, clock=clock, **auth, **version
    )


def poll_for(renderer: Renderer) -> PollPolicy | None:
    """:data:`LIVE_POLL` for a live display; otherwise None, the client's default."""
    return LIVE_POLL if renderer.live else None


# --- listings --------------------------------------------------------------------------------------------


async def listed(
    listing: Callable[..., AsyncIterator[S]], statuses: Sequence[Status] | None, top: int | None
) -> AsyncGenerator[S, None]:
    """The items of ``listing`` with one of ``statuses``, at most ``top``.

    The service filters where the API version can; v1.0-preview.1 cannot (the client says so before sending
    anything), and there the filter and the cap are applied here.
    """
    served = True
    try:
        async for item in listing(statuses=statuses or None, top=top):
            yield item
    except UnsupportedOperationError:
        if not statuses:
            raise
        served = False
    if served:
        return
    wanted, given = set(statuses or ()), 0
    async for item in listing():
        if top is not None and given >= top:
            return
        if item.status in wanted:
            given += 1
            yield item


async def print_json_array(items: AsyncGenerator[Any, None], redactor: Redactor) -> None:
    """Write ``items`` as a JSON array, one element per line, as they arrive (never all held in memory).

    Once nobody reads the output any more (``| head``), the listing stops: its pages would go nowhere.
    """
    separator = "[\n"
    async with contextlib.aclosing(items):
        async for item in items:
            sys.stdout.write(separator + to_json(item, redactor))
            separator = ",\n"
            if output_gone():
                return
    sys.stdout.write("[]\n" if separator == "[\n" else "\n]\n")
    sys.stdout.flush()


def print_json(value: Any, renderer: Renderer) -> None:
    """Write one model as JSON on stdout."""
    print(to_json(value, renderer.redactor), flush=True)


async def show_documents(
    renderer: Renderer, title: str, documents: AsyncIterator[DocumentStatus], *, short: bool = False
) -> None:
    """A table of documents (id, status, progress, characters, error code)."""
    rows = [document_row(document, short=short) async for document in documents]
    renderer.table(f"{title} ({len(rows)})", DOCUMENT_COLUMNS, rows)


# --- wait: shared by `wait` and `demo` -------------------------------------------------------------------


async def report(client: DocumentTranslationClient, batch_id: str, final: BatchStatus, renderer: Renderer) -> None:
    """The summary table of a finished batch, its validation error if any, and its failed documents.

    The batch has ended whatever happens here: a listing that fails is a warning, not the command's outcome.
    Its documents are listed by the id asked for (the status's own ``id`` is the service's text).
    """
    renderer.line()
    renderer.table("Summary", ("", ""), summary_rows(final))
    if final.error is not None:
        inner = final.error.inner_error
        detail = f" ({inner.code}: {inner.message})" if inner is not None else ""
        renderer.line(f"error: {final.error.code}: {final.error.message}{detail}")
    if final.summary.failed:
        failed = listed(functools.partial(client.list_documents, batch_id), [Status.FAILED], None)
        try:
            rows = [
                (d.id, d.error.code if d.error else "", d.error.message or "" if d.error else "") async for d in failed
            ]
        except (DocumentTranslationError, ValueError) as unlisted:
            renderer.warning(f"the batch ended, but its failed documents could not be listed: {unlisted}")
            return
        renderer.line()
        renderer.table(f"Failed documents ({len(rows)})", ("id", "error", "message"), rows)


async def wait_and_report(
    client: DocumentTranslationClient,
    batch_id: str,
    renderer: Renderer,
    *,
    timeout: float | None = None,
    json: bool = False,
) -> ExitCode:
    """Wait for batch ``batch_id`` with a progress display, report how it ended, and return its exit code.

    With ``json`` nothing is shown while waiting, and the final status is printed as JSON.
    """
    try:
        if json:
            final = await client.wait_for_completion(batch_id, timeout=timeout)
        else:
            with renderer.progress() as show:
                final = await client.wait_for_completion(batch_id, timeout=timeout, on_status=show)
    except PollingTimeoutError as timed_out:
        last = timed_out.last_status
        seen = f"; {counts(last.summary)}" if last is not None else ""
        renderer.error(f"{timed_out}{seen}")
        return ExitCode.TIMEOUT
    if json:
        print_json(final, renderer)
    else:
        await report(client, batch_id, final, renderer)
    return exit_code_for(final.status)


# --- commands that talk to a service ---------------------------------------------------------------------


async def _status(client: DocumentTranslationClient, args: argparse.Namespace, renderer: Renderer) -> int:
    status = await client.get_status(args.batch_id)
    if args.json:
        print_json(status, renderer)
    else:
        renderer.table("Batch", ("", ""), summary_rows(status))
    return ExitCode.SUCCEEDED


async def _documents(client: DocumentTranslationClient, args: argparse.Namespace, renderer: Renderer) -> int:
    documents = listed(functools.partial(client.list_documents, args.batch_id), args.statuses, None)
    if args.json:
        await print_json_array(documents, renderer.redactor)
    else:
        await show_documents(renderer, f"Documents of batch {args.batch_id}", documents)
    return ExitCode.SUCCEEDED


async def _batches(client: DocumentTranslationClient, args: argparse.Namespace, renderer: Renderer) -> int:
    batches = listed(client.list_batches, args.statuses, args.top)
    if args.json:
        await print_json_array(batches, renderer.redactor)
        return ExitCode.SUCCEEDED
    rows = [(b.id, str(b.status), counts(b.summary), b.created_at.isoformat(timespec="seconds")) async for b in batches]
    renderer.table(f"Batches ({len(rows)})", ("id", "status", "documents", "created"), rows)
    return ExitCode.SUCCEEDED


async def _wait(client: DocumentTranslationClient, args: argparse.Namespace, renderer: Renderer) -> int:
    return await wait_and_report(client, args.batch_id, renderer, timeout=args.timeout, json=args.json)


async def _start(client: DocumentTranslationClient, args: argparse.Namespace, renderer: Renderer) -> int:
    batch_id = await client.start_translation(
        source_url=args.source,
        target_url=args.target,
        target_language=args.target_language,
        source_language=args.source_language,
        category=args.category,
    )
    if args.json and not args.wait:
        print(to_json({"id": batch_id}, renderer.redactor), flush=True)
    elif not args.json:
        renderer.line(batch_id)  # alone on its line: `id=$(doctrans start ...)` captures just it
    if not args.wait:
        return ExitCode.SUCCEEDED
    return await wait_and_report(client, batch_id, renderer, timeout=args.timeout, json=args.json)


async def _cancel(client: DocumentTranslationClient, args: argparse.Namespace, renderer: Renderer) -> int:
    status = await client.cancel_translation(args.batch_id)
    if args.json:
        print_json(status, renderer)
    else:
        renderer.line(f"cancel requested: batch {status.id} is {status.status}, {counts(status.summary)}")
    return ExitCode.SUCCEEDED


def default_output(source: Path, language: str) -> Path:
    """Where ``translate`` writes by default: ``report.docx`` into ``fr`` is ``report.fr.docx`` beside it."""
    return source.with_name(f"{source.stem}.{language}{source.suffix}")


def _translate_refusal(args: argparse.Namespace, output: Path | None) -> str | None:
    """Why ``translate`` cannot start (a local problem), checked before a document is sent and charged."""
    for path in (args.file, *args.glossary):
        if path.is_dir():
            return f"cannot translate {path}: it is a directory (translate takes one file; use `start` for a batch)"
        if not path.is_file():
            return f"cannot read {path}: no such file"
    try:
        document_part("document", args.file, args.content_type, None)
    except ValueError:
        return f"cannot tell {args.file}'s format from its name: pass --content-type (for example text/plain)"
    for glossary in args.glossary:
        try:
            document_part("glossary", glossary, None, None)
        except ValueError:
            return f"cannot tell glossary {glossary}'s format from its name: give it an extension (.tsv, .csv, .xlf)"
    if output is not None and output.exists() and not args.force:
        return f"{output} exists; pass --force to overwrite it, or -o to write elsewhere"
    return None


async def _translate(client: DocumentTranslationClient, args: argparse.Namespace, renderer: Renderer) -> int:
    to_stdout = args.output == "-"
    output = None if to_stdout else Path(args.output or default_output(args.file, args.target_language))
    refusal = _translate_refusal(args, output)
    if refusal is not None:
        renderer.error(refusal)
        return ExitCode.USAGE
    try:
        translated = await client.translate_document(
            args.file,
            target_language=args.target_language,
            source_language=args.source_language,
            glossaries=args.glossary,
            category=args.category,
            content_type=args.content_type,
        )
    except UnsupportedOperationError as refused:
        renderer.error(str(refused))
        return ExitCode.USAGE
    if output is None:
        write_bytes(translated)
        return ExitCode.SUCCEEDED
    try:
        # Exclusive creation unless --force: a file that appeared during the request is not overwritten either.
        with output.open("wb" if args.force else "xb") as file:
            file.write(translated)
    except OSError as failed:
        renderer.error(f"cannot write {output}: {failed.strerror or failed}")
        return ExitCode.USAGE
    renderer.line(f"translated {args.file} into {args.target_language}: {output} ({len(translated)} bytes)")
    return ExitCode.SUCCEEDED


_HANDLERS: Mapping[str, Handler] = {
    "status": _status,
    "documents": _documents,
    "batches": _batches,
    "wait": _wait,
    "start": _start,
    "cancel": _cancel,
    "translate": _translate,
}


# --- demo ------------------------------------------------------------------------------------------------

_INTRO = """\
doctrans demo: the Document Translation batch API, emulated on this machine.

An emulator of the Azure service is listening on {endpoint} (in this process). We submit a batch of
{documents} documents to translate into French; about {failures} of them will fail, as real documents sometimes do.
The source and target are made-up blob URLs: nothing leaves this machine and no account is needed.
"""

_WHAT_NEXT = """\
What next: the same against an emulator you keep running.
  terminal 1:  doctrans emulator --port 8080 --key local-key --batch 36:60:4
  terminal 2:  export DOCTRANS_ENDPOINT=http://127.0.0.1:8080 DOCTRANS_KEY=local-key
               doctrans wait BATCH_ID        (the id terminal 1 prints)
               doctrans documents BATCH_ID --status Failed
               doctrans batches --json
Against Azure, set DOCTRANS_ENDPOINT to https://<resource>.cognitiveservices.azure.com and DOCTRANS_KEY to its key.
Exit status of `doctrans wait`: 0 Succeeded, 1 Failed, 3 ValidationFailed, 4 Canceled, 5 timeout, 6 error."""


async def demo(args: argparse.Namespace, *, clock: Clock, renderer: Renderer) -> int:
    """Start an in-process emulator, submit a batch, wait on it as ``wait`` does, and list its documents."""
    # Imported here: only the demo needs the emulator's server side.
    from doctrans_async.emulator import Emulator

    documents = args.documents
    failures = args.failures if args.failures is not None else round(documents / 9)
    if failures > documents:
        renderer.error(f"--failures {failures} is more than --documents {documents}")
        return ExitCode.USAGE
    emulator = Emulator(clock=clock, start_documents=documents, start_seconds=args.seconds, start_failures=failures)
    async with emulator:
        renderer.lines(_INTRO.format(endpoint=emulator.endpoint, documents=documents, failures=failures))
        renderer.line()
        connection = Connection(emulator.endpoint, emulator.key, None, None)
        async with open_client(connection, clock=clock, poll=poll_for(renderer)) as client:
            batch_id = await client.start_translation(
                source_url=f"{_FAKE_STORE}/source?sv=2024-01-01&sig=not-a-real-signature",
                target_url=f"{_FAKE_STORE}/target-fr?sv=2024-01-01&sig=not-a-real-signature",
                target_language="fr",
            )
            renderer.line(f"Submitted batch {batch_id}; waiting for it (as `doctrans wait` does):")
            await wait_and_report(client, batch_id, renderer)
            renderer.line()
            await show_documents(renderer, "Documents", client.list_documents(batch_id), short=True)
    renderer.line()
    renderer.lines(_WHAT_NEXT)
    return ExitCode.SUCCEEDED


# --- entry -----------------------------------------------------------------------------------------------


async def run(
    args: argparse.Namespace,
    *,
    clock: Clock | None = None,
    renderer: Renderer | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Run the command ``args`` names and return the exit status; library errors become messages, never tracebacks.

    ``clock`` (default: the system clock) is shared by the client and the demo's emulator; ``environ`` (default
    ``os.environ``) supplies the options not given.
    """
    clock = clock if clock is not None else SystemClock()
    renderer = renderer if renderer is not None else make_renderer(plain=args.plain, clock=clock)
    try:
        if args.command == "demo":
            return await demo(args, clock=clock, renderer=renderer)
        async with contextlib.AsyncExitStack() as stack:
            try:
                connection = connection_of(args, environ)
                renderer.redactor = Redactor([connection.key] if connection.key else [])
                credential = azure_credential() if connection.credential == "azure" else None
                client = open_client(connection, clock=clock, poll=poll_for(renderer), credential=credential)
            except ValueError as usage:
                renderer.error(str(usage))
                return ExitCode.USAGE
            if credential is not None and hasattr(credential, "close"):
                stack.push_async_callback(credential.close)
            await stack.enter_async_context(client)
            return await _HANDLERS[args.command](client, args, renderer)
    except DocumentTranslationError as failure:
        renderer.error(str(failure))
        return ExitCode.SERVICE_ERROR
    except ValueError as refused:
        # The library refuses arguments with ValueError before sending anything: the user's input, not a bug.
        renderer.error(str(refused))
        return ExitCode.USAGE
