"""API versions and what differs between them on the wire.

Facts from the public REST specs (TranslatorBatch.json v1.0-preview.1 and v1.0; Azure.AI.DocumentTranslation
2024-05-01) and the real service's recorded traffic, both kept under ``tests/recorded/``.
"""

from __future__ import annotations

import enum

import attrs

__all__ = ["ApiVersion", "Layout", "layout_of"]


class ApiVersion(enum.StrEnum):
    """A version of the Document Translation batch API. A plain string equal to a value is accepted wherever
    an ``ApiVersion`` is."""

    V1_0_PREVIEW_1 = "v1.0-preview.1"
    V1_0 = "v1.0"
    V2024_05_01 = "2024-05-01"
    V2026_03_01 = "2026-03-01"

    @property
    def is_v1(self) -> bool:
        """True for the ``/translator/text/batch/v1.x`` generation."""
        return self in (ApiVersion.V1_0_PREVIEW_1, ApiVersion.V1_0)


@attrs.frozen
class Layout:
    """Where a version's operations live and how its listings page."""

    base_path: str
    """Path prefix of every operation, below the endpoint."""
    query: tuple[tuple[str, str], ...]
    """Query parameters every call carries (``api-version`` on 2024-05-01 and later)."""
    top: str
    skip: str
    page_size: str
    """The page-size parameter."""
    next_link_key: str
    """The key of the continuation link in a page body."""
    has_filters: bool
    """Whether listings take ``ids``/``statuses``/date/order filters."""
    order_by: str = "$orderBy"
    """The ordering parameter's name."""
    has_deployments: bool = False
    """Whether a target (and a single document) may name a custom model's ``deploymentName``."""
    has_image_translation: bool = False
    """Whether a batch (and a single document) may ask to ``translateTextWithinImage``."""
    max_page_size: int = 100
    """The largest page the version serves: what a listing asks for unless told ``page_size=``."""


def _document_layout(version: ApiVersion) -> Layout:
    # 2024-05-01 and later: one path root, the version in the query, paging parameters without '$'.
    return Layout(
        "/translator/document",
        (("api-version", version.value),),
        "top",
        "skip",
        "maxpagesize",
        "nextLink",
        has_filters=True,
        order_by="orderby",
        has_deployments=version in _IMAGES_AND_DEPLOYMENTS,
        has_image_translation=version in _IMAGES_AND_DEPLOYMENTS,
    )


# What 2026-03-01 added to requests (the official SDKs' 2026-03-01 release notes).
_IMAGES_AND_DEPLOYMENTS = frozenset({ApiVersion.V2026_03_01})


_LAYOUTS = {
    ApiVersion.V1_0_PREVIEW_1: Layout(
        # $maxpagesize came to this version in place (its 2021 revision); the service honours it (recorded).
        "/translator/text/batch/v1.0-preview.1",
        (),
        "$top",
        "$skip",
        "$maxpagesize",
        "@nextLink",
        False,
    ),
    ApiVersion.V1_0: Layout("/translator/text/batch/v1.0", (), "$top", "$skip", "$maxpagesize", "@nextLink", True),
    ApiVersion.V2024_05_01: _document_layout(ApiVersion.V2024_05_01),
    ApiVersion.V2026_03_01: _document_layout(ApiVersion.V2026_03_01),
}


def layout_of(version: ApiVersion) -> Layout:
    """The wire layout of ``version``."""
    return _LAYOUTS[version]
