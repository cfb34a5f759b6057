"""Request options of the newer API versions, sent as the service names them, refused where a version lacks them.

2026-03-01 adds a target's ``deploymentName`` (a custom model) and the batch option ``translateTextWithinImage``
(also both on a single document). On an older version they raise UnsupportedOperationError before any request,
so the service never silently ignores them.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

import doctrans_async as dt
from tests.recorded.replay import Replay

STARTED = {
    "status": 202,
    "headers": {"Content-Type": "application/json; charset=utf-8"},
    "body": {"id": "b1", "status": "NotStarted"},
}


@contextlib.asynccontextmanager
async def serving(version: str, *entries: dict[str, Any]) -> AsyncIterator[tuple[Replay, dt.DocumentTranslationClient]]:
    """A replay of ``entries`` and a client of it at ``version``; every entry must be asked for."""
    async with Replay({"name": "options", "entries": list(entries)}) as replay:
        async with dt.DocumentTranslationClient(
            replay.endpoint, key="k", api_version=version, retry=None, clock=dt.VirtualClock()
        ) as client:
            yield replay, client
        replay.check_done()


def started(version: str) -> dict[str, Any]:
    return {
        **STARTED,
        "method": "POST",
        "uri": f"https://x.cognitiveservices.azure.com/translator/document/batches?api-version={version}",
    }


async def test_simple_form_sends_every_option() -> None:
    """The simple form's prefix, suffix, storage type, glossaries, deployment and image option reach the body."""
    async with serving("2026-03-01", started("2026-03-01")) as (replay, client):
        batch_id = await client.start_translation(
            source_url="https://s/src",
            target_url="https://s/fr",
            target_language="fr",
            source_language="en",
            category="general",
            prefix="reports/",
            suffix=".docx",
            storage_type="Folder",
            glossaries=[dt.Glossary("https://s/g.tsv", "TSV")],
            deployment_name="my-model",
            translate_text_within_image=True,
        )
    assert batch_id == "b1"
    assert json.loads(replay.received[0].body) == {
        "inputs": [
            {
                "source": {
                    "sourceUrl": "https://s/src",
                    "language": "en",
                    "filter": {"prefix": "reports/", "suffix": ".docx"},
                },
                "targets": [
                    {
                        "targetUrl": "https://s/fr",
                        "language": "fr",
                        "category": "general",
                        "glossaries": [{"glossaryUrl": "https://s/g.tsv", "format": "TSV"}],
                        "deploymentName": "my-model",
                    }
                ],
                "storageType": "Folder",
            }
        ],
        "options": {"translateTextWithinImage": True},
    }


async def test_typed_inputs_with_a_deployment_and_the_image_option_false() -> None:
    """A typed target's deployment_name is sent; translate_text_within_image=False is sent too (not dropped)."""
    target = dt.TranslationTarget("https://s/fr", "fr", deployment_name="m")
    async with serving("2026-03-01", started("2026-03-01")) as (replay, client):
        await client.start_translation(
            dt.TranslationInput("https://s/src", [target]), translate_text_within_image=False
        )
    body = json.loads(replay.received[0].body)
    assert body["inputs"][0]["targets"][0]["deploymentName"] == "m"
    assert body["options"] == {"translateTextWithinImage": False}


@pytest.mark.parametrize("version", ["v1.0-preview.1", "v1.0", "2024-05-01"])
@pytest.mark.parametrize(
    "kwargs",
    [
        {"deployment_name": "m"},
        {"translate_text_within_image": True},
        {"inputs": dt.TranslationInput("s", [dt.TranslationTarget("t", "fr", deployment_name="m")])},
    ],
)
async def test_newer_options_are_refused_before_sending_on_older_versions(version: str, kwargs: dict[str, Any]) -> None:
    """deployment_name and translate_text_within_image raise UnsupportedOperationError on versions before
    2026-03-01, and nothing is sent."""
    simple: dict[str, Any] = {"source_url": "s", "target_url": "t", "target_language": "fr"}
    if "inputs" in kwargs:
        simple = {}
    async with serving(version) as (replay, client):
        with pytest.raises(dt.UnsupportedOperationError, match="2026-03-01"):
            await client.start_translation(**simple, **kwargs)
    assert replay.received == []


@pytest.mark.parametrize(
    "kwargs",
    [{"prefix": "p"}, {"suffix": ".txt"}, {"storage_type": "File"}, {"glossaries": [dt.Glossary("g", "TSV")]}],
)
async def test_simple_options_with_typed_inputs_are_refused(kwargs: dict[str, Any]) -> None:
    """A simple-form option next to typed inputs is ambiguous: ValueError, nothing sent."""
    async with serving("2026-03-01") as (replay, client):
        with pytest.raises(ValueError, match="not both"):
            await client.start_translation(dt.TranslationInput("s", [dt.TranslationTarget("t", "fr")]), **kwargs)
    assert replay.received == []


async def test_image_option_with_a_raw_body_is_refused() -> None:
    """A raw request dict carries its own options: passing the image option beside it is a ValueError."""
    async with serving("2026-03-01") as (replay, client):
        with pytest.raises(ValueError, match="raw request body"):
            await client.start_translation({"inputs": []}, translate_text_within_image=True)
    assert replay.received == []


async def test_translate_document_sends_deployment_and_image_option_on_2026() -> None:
    """translate_document's deployment_name and translate_text_within_image go in the query, as the service
    names them."""
    entry = {
        "method": "POST",
        "uri": "https://x.cognitiveservices.azure.com/translator/document:translate?api-version=2026-03-01"
        "&targetLanguage=fr&deploymentName=m&translateTextWithinImage=true",
        "status": 200,
        "headers": {"Content-Type": "application/octet-stream"},
        "body_b64": "b3Vp",
    }
    async with serving("2026-03-01", entry) as (replay, client):
        translated = await client.translate_document(
            b"yes", target_language="fr", filename="a.txt", deployment_name="m", translate_text_within_image=True
        )
    assert translated == b"oui"
    query = dict(parse_qsl(urlsplit(replay.received[0].target).query))
    assert (query["deploymentName"], query["translateTextWithinImage"]) == ("m", "true")


@pytest.mark.parametrize("kwargs", [{"deployment_name": "m"}, {"translate_text_within_image": False}])
async def test_translate_document_options_refused_on_2024(kwargs: dict[str, Any]) -> None:
    """On 2024-05-01 the same options raise UnsupportedOperationError before the upload."""
    async with serving("2024-05-01") as (replay, client):
        with pytest.raises(dt.UnsupportedOperationError):
            await client.translate_document(b"yes", target_language="fr", filename="a.txt", **kwargs)
    assert replay.received == []
