"""One batch by id at the aiohttp layer (aioresponses): a document's status, and cancelling the batch."""

from __future__ import annotations

import doctrans_async as dt
from tests.support import BASE, MockedService, Q, batch_body, document_body


async def test_cancel_translation(client: dt.DocumentTranslationClient, mocked: MockedService) -> None:
    """cancel_translation sends DELETE to the batch and returns the status the service answers."""
    mocked.delete(f"{BASE}/batches/b1?{Q}", payload=batch_body("Cancelling"))
    status = await client.cancel_translation("b1")
    assert status.status is dt.Status.CANCELING
    [(method, _, _)] = mocked.sent()
    assert method == "DELETE"


async def test_get_document_status(client: dt.DocumentTranslationClient, mocked: MockedService) -> None:
    """get_document_status reads one document at its own URL, the id quoted as one path segment."""
    mocked.get(f"{BASE}/batches/b1/documents/d%251?{Q}", payload=document_body("d%1", "Running"))
    document = await client.get_document_status("b1", "d%1")
    assert (document.id, document.status) == ("d%1", dt.Status.RUNNING)
