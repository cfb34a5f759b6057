"""Microsoft Entra ID (formerly Azure AD) instead of a key: a bearer token from azure-identity.

    pip install azure-identity
    DOCTRANS_ENDPOINT=https://<resource>.cognitiveservices.azure.com python examples/entra_id.py BATCH_ID

``DefaultAzureCredential`` finds a managed identity, workload identity, environment variables, or your
``az login``; the identity needs the "Cognitive Services User" role on the Translator resource, and the
endpoint is the resource's custom domain (Document Translation is served there only).
The client asks for the scope ``https://cognitiveservices.azure.com/.default`` and refreshes the token five
minutes before it expires; concurrent requests share one token.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

import doctrans_async as dt

SCOPE = "https://cognitiveservices.azure.com/.default"
"""The scope the client's token is for (the credential is asked for it by the client; shown here to be seen)."""


async def batch_status(endpoint: str, batch_id: str, credential: dt.AsyncTokenCredential) -> dt.BatchStatus:
    """The status of ``batch_id``, authenticated by ``credential`` (any object with an async ``get_token``)."""
    async with dt.DocumentTranslationClient(endpoint, credential=credential) as client:
        return await client.get_status(batch_id)


async def main(argv: Sequence[str] | None = None) -> int:
    """Print one batch's status, signed in with DefaultAzureCredential; exit status 0 when it succeeded."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("batch_id", help="the batch to look at")
    args = parser.parse_args(argv)
    endpoint = os.environ.get("DOCTRANS_ENDPOINT")
    if not endpoint:
        parser.error("set DOCTRANS_ENDPOINT to https://<resource>.cognitiveservices.azure.com")
    # Imported here so that the rest of the example (and its test) needs no azure-identity.
    from azure.identity.aio import DefaultAzureCredential

    async with DefaultAzureCredential() as credential:  # closes its own HTTP session
        status = await batch_status(endpoint, args.batch_id, credential)
    print(f"{status.id}: {status.status} ({status.summary.finished}/{status.summary.total} documents finished)")
    return 0 if status.status is dt.Status.SUCCEEDED else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
