"""The hot paths' shortcuts give exactly what the careful paths give: next links on the endpoint's own origin, ids
that need no quoting, and models whose slots the straight-line hooks fill (every field of the right type)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doctrans_async import ContinuationLinkError
from doctrans_async._converter import _make_straight, generated, structure_batches, structure_documents
from doctrans_async._models import BatchStatus, DocumentStatus
from doctrans_async._sansio import (
    _STATUS_REQUESTS_KEPT,
    Endpoint,
    _own_origin_link,
    _segment,
    check_id,
    check_next_link,
    origin_of,
    page_key,
)
from doctrans_async._versions import ApiVersion

FIXTURES = Path(__file__).parent / "fixtures"

ORIGINS = ["https://res.cognitiveservices.azure.com", "http://127.0.0.1:8080", "https://h.example:8443"]

# Links built of the pieces that decide the fast path: how the origin is written, then path and query text.
link_heads = st.sampled_from(
    [
        "https://res.cognitiveservices.azure.com",
        "https://res.cognitiveservices.azure.com:443",
        "https://RES.cognitiveservices.azure.com",
        "http://res.cognitiveservices.azure.com",
        "https://res.cognitiveservices.azure.com.evil.test",
        "https://user@res.cognitiveservices.azure.com",
        "http://127.0.0.1:8080",
        "http://127.0.0.1:80801",
        "http://127.0.0.1",
        "https://h.example:8443",
        "https://h.example",
        "//res.cognitiveservices.azure.com",
        "",
    ]
)
link_tails = st.text(alphabet="/?#&=%@: abcAZ019.-~\t\né", max_size=24)


def careful(link: str, origin: str, seen: set[str]) -> object:
    """What the careful path alone makes of ``link``: the URL and the key it records, or the error's type."""
    try:
        checked = check_next_link(link, current_url=f"{origin}/x/y", origin=origin_of(origin), seen=seen)
    except ContinuationLinkError as error:
        return type(error)
    return checked, page_key(checked) if checked is not None else None


@settings(max_examples=600, deadline=None)
@given(origin=st.sampled_from(ORIGINS), head=link_heads, tail=link_tails, repeat=st.booleans())
def test_own_origin_fast_path_agrees_with_the_careful_path(origin: str, head: str, tail: str, repeat: bool) -> None:
    """Whenever the fast path takes a link, it returns the link as given and records the page key the careful
    path computes for it; a link it leaves (``None``) is the careful path's to follow or refuse."""
    link = head + tail
    seen: set[str] = {page_key(link)} if repeat and _parses(link) else set()
    before = set(seen)
    fast = _own_origin_link(link, origin_of(origin), seen)
    if fast is None:
        assert seen == before
        return
    assert fast == link
    assert origin_of(link) == origin_of(origin)
    assert seen == before | {page_key(link)}
    assert careful(link, origin, set(before)) == (link, page_key(link))


def _parses(link: str) -> bool:
    try:
        page_key(link)
    except ValueError:
        return False
    return True


def test_a_repeated_own_origin_link_still_raises() -> None:
    """The fast path leaves a link already seen to the careful path, which refuses it by name."""
    link = "https://res.cognitiveservices.azure.com/translator/document/batches?skip=100&api-version=2024-05-01"
    seen: set[str] = set()
    origin = origin_of(link)
    assert _own_origin_link(link, origin, set()) == link  # the ordinary link is the fast path's
    assert check_next_link(link, current_url=link, origin=origin, seen=seen) == link
    with pytest.raises(ContinuationLinkError, match="repeated"):
        check_next_link(link, current_url=link, origin=origin, seen=seen)


def test_the_default_port_written_or_not_is_one_page() -> None:
    """'https://h:443/x' and 'https://h/x' are one page to loop detection, on the fast path as on the careful."""
    origin = origin_of("https://h.example")
    seen: set[str] = set()
    assert check_next_link("https://h.example/x?a=1", current_url="https://h.example", origin=origin, seen=seen)
    with pytest.raises(ContinuationLinkError, match="repeated"):
        check_next_link("https://h.example:443/x?a=1", current_url="https://h.example", origin=origin, seen=seen)


@settings(max_examples=600, deadline=None)
@given(value=st.text(max_size=12) | st.sampled_from([".", "..", "...", "a.b", "~x", "001f0a26-0000-0000-0000"]))
def test_unquoted_ids_are_what_quoting_gives(value: str) -> None:
    """An id the fast path leaves unquoted is exactly what check_id and quote make of it; others go through
    both (and are refused alike)."""
    try:
        expected: object = quote(check_id(value), safe="")
    except ValueError as error:
        expected = type(error)
    try:
        got: object = _segment(value)
    except ValueError as error:
        got = type(error)
    assert got == expected


@pytest.mark.parametrize("version", list(ApiVersion))
def test_listings_ask_for_the_largest_page_unless_told(version: ApiVersion) -> None:
    """Without page_size a listing asks for the version's largest page (100); page_size= is sent as given."""
    endpoint = Endpoint("https://res.cognitiveservices.azure.com", version)
    name = "$maxpagesize" if version.is_v1 else "maxpagesize"
    assert f"{name}=100" in endpoint.documents("b1").url
    assert f"{name}=100" in endpoint.batches().url
    assert f"{name}=7" in endpoint.documents("b1", page_size=7).url
    assert f"{name}=100" not in endpoint.batches(page_size=7).url
    with pytest.raises(ValueError, match="page_size"):
        endpoint.documents("b1", page_size=101)


def test_fixed_urls_are_built_once_and_still_right() -> None:
    """The URL root and fixed query built at construction give the same URLs as before (an evolved endpoint
    builds its own)."""
    endpoint = Endpoint("https://res.cognitiveservices.azure.com/proxy/", ApiVersion.V2024_05_01)
    assert endpoint.batch_status("b1").url == (
        "https://res.cognitiveservices.azure.com/proxy/translator/document/batches/b1?api-version=2024-05-01"
    )
    moved = attrs.evolve(endpoint, url="http://127.0.0.1:9", version=ApiVersion.V1_0)
    assert moved.batch_status("b1").url == "http://127.0.0.1:9/translator/text/batch/v1.0/batches/b1"
    assert moved == Endpoint("http://127.0.0.1:9", ApiVersion.V1_0)


def test_a_status_request_is_built_once_per_batch_id() -> None:
    """A poller's repeated status request is the very same (immutable) Request; an id that is refused stays
    refused every time, and the requests kept are bounded however many batches are asked about."""
    endpoint = Endpoint("https://res.cognitiveservices.azure.com", ApiVersion.V2024_05_01)
    first = endpoint.batch_status("b~é")
    assert endpoint.batch_status("b~é") is first
    assert first.url.endswith("/batches/b~%C3%A9?api-version=2024-05-01")
    for _ in range(2):
        with pytest.raises(ValueError, match="cannot contain"):
            endpoint.batch_status("a/b")
    for number in range(_STATUS_REQUESTS_KEPT + 10):
        assert endpoint.batch_status(f"b{number}").url.endswith(f"/batches/b{number}?api-version=2024-05-01")
    assert len(endpoint._status_requests) <= _STATUS_REQUESTS_KEPT


class _Folded(str):
    """An id that hashes and compares without regard to case."""

    def __hash__(self) -> int:
        return hash(self.lower())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and self.lower() == other.lower()


def test_a_str_subclass_id_is_never_a_cached_key() -> None:
    """An id of a str subclass gets its own request, which is not kept: it cannot answer for another id."""
    endpoint = Endpoint("https://res.cognitiveservices.azure.com", ApiVersion.V2024_05_01)
    assert endpoint.batch_status(_Folded("ABC")).url.endswith("/batches/ABC?api-version=2024-05-01")
    assert endpoint.batch_status("abc").url.endswith("/batches/abc?api-version=2024-05-01")


DOCUMENT: dict[str, Any] = {
    "path": "https://s.blob.core.windows.net/t/fr/a.txt",
    "createdDateTimeUtc": "2024-10-11T02:18:42.6957534Z",
    "lastActionDateTimeUtc": "2024-10-11T02:18:45Z",
    "status": "Succeeded",
    "to": "fr",
    "progress": 1,
    "id": "d1",
    "characterCharged": 27,
}


def field_types(model: Any) -> list[tuple[str, type]]:
    return [(field.name, type(getattr(model, field.name))) for field in attrs.fields(type(model))]


@pytest.mark.parametrize(
    ("body", "cls"),
    [
        (DOCUMENT, DocumentStatus),
        ({**DOCUMENT, "progress": 0.5, "totalImageScansSucceeded": 1, "error": {"code": "X"}}, DocumentStatus),
        (json.loads((FIXTURES / "2024-05-01-batch-validation-failed.json").read_text()), BatchStatus),
    ],
)
def test_straight_line_models_have_every_field_of_the_generated_type(body: dict[str, Any], cls: type) -> None:
    """Equal is not enough (1 == 1.0): each slot the straight line fills holds the very type cattrs gives, the
    nested summary included, and the models are still frozen."""
    structure: Any = structure_documents if cls is DocumentStatus else structure_batches
    [fast] = structure([body])
    slow = generated[cls](body, cls)
    assert fast == slow
    assert field_types(fast) == field_types(slow)
    if cls is BatchStatus:
        assert field_types(fast.summary) == field_types(slow.summary)
        assert type(fast.summary) is type(slow.summary)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(fast, "id", "other")  # noqa: B010 - mypy refuses the plain assignment to a frozen field
    assert hash(fast) == hash(slow)
    assert type(fast) is cls  # not the subclass the straight line fills


def test_an_unusual_item_sends_its_page_to_the_list_hook() -> None:
    """One odd document (a progress as text) does not fail the page: the list hook converts it (to the same
    value), and a broken one fails with cattrs' detailed error naming its index."""
    odd = {**DOCUMENT, "id": "d2", "progress": "0.5"}
    documents = structure_documents([DOCUMENT, odd])
    assert [d.progress for d in documents] == [1.0, 0.5]
    with pytest.raises(Exception, match="While structuring") as caught:
        structure_documents([DOCUMENT, {k: v for k, v in DOCUMENT.items() if k != "to"}])
    assert "@ index 1" in str(caught.value.exceptions[0].__notes__)  # type: ignore[attr-defined]


@attrs.frozen
class _Validated:
    name: str = attrs.field(validator=attrs.validators.min_len(1))


@attrs.frozen
class _Converted:
    name: str = attrs.field(converter=str)


@attrs.frozen
class _Factory:
    names: str = attrs.field(factory=str)


@attrs.frozen(slots=False)
class _Unslotted:
    name: str


@pytest.mark.parametrize("model", [_Validated, _Converted, _Factory, _Unslotted])
def test_no_straight_line_hook_for_a_model_with_field_logic(model: type) -> None:
    """Filling slots directly would skip a validator, a converter or a factory, and a model with a ``__dict__``
    has no slots to fill: such a model gets no straight line (today's status models are none of these; a future
    one must not be skipped silently)."""
    with pytest.raises(TypeError, match=r"straight-line|field logic|outside its fields' slots"):
        _make_straight(model)
