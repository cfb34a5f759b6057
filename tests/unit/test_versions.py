"""Unit tests of the API versions and of what differs between them on the wire (the layouts)."""

from __future__ import annotations

import pytest

from doctrans_async._versions import ApiVersion, Layout, layout_of


def test_versions_known_oldest_first() -> None:
    """The four versions, oldest first; the enum's values are the wire's strings."""
    assert [v.value for v in ApiVersion] == ["v1.0-preview.1", "v1.0", "2024-05-01", "2026-03-01"]


@pytest.mark.parametrize("version", list(ApiVersion))
def test_a_version_is_its_string(version: ApiVersion) -> None:
    """An ApiVersion equals, formats as and is built from its plain string."""
    assert version == version.value
    assert f"{version}" == version.value
    assert ApiVersion(version.value) is version


def test_unknown_version_refused() -> None:
    """A string naming no version is a ValueError."""
    with pytest.raises(ValueError, match="2023-01-01"):
        ApiVersion("2023-01-01")


def test_is_v1_for_the_batch_generation_only() -> None:
    """is_v1 marks the /translator/text/batch/v1.x generation."""
    assert {v for v in ApiVersion if v.is_v1} == {ApiVersion.V1_0_PREVIEW_1, ApiVersion.V1_0}


def test_v1_preview_layout() -> None:
    """v1.0-preview.1: the version in the path, $-prefixed paging, $maxpagesize (its 2021 revision added it, and a
    real recording shows it honoured), no filters, @nextLink."""
    assert layout_of(ApiVersion.V1_0_PREVIEW_1) == Layout(
        "/translator/text/batch/v1.0-preview.1", (), "$top", "$skip", "$maxpagesize", "@nextLink", False
    )


def test_v1_layout() -> None:
    """v1.0 adds $maxpagesize and the filters, ordered by $orderBy."""
    layout = layout_of(ApiVersion.V1_0)
    assert layout == Layout("/translator/text/batch/v1.0", (), "$top", "$skip", "$maxpagesize", "@nextLink", True)
    assert layout.order_by == "$orderBy"


@pytest.mark.parametrize("version", [ApiVersion.V2024_05_01, ApiVersion.V2026_03_01])
def test_document_generation_layout(version: ApiVersion) -> None:
    """2024-05-01 and later: one path root, the version as the api-version query, paging without '$', nextLink,
    filters ordered by orderby."""
    layout = layout_of(version)
    assert layout.base_path == "/translator/document"
    assert layout.query == (("api-version", version.value),)
    assert (layout.top, layout.skip, layout.page_size) == ("top", "skip", "maxpagesize")
    assert layout.next_link_key == "nextLink"
    assert layout.has_filters
    assert layout.order_by == "orderby"


def test_every_version_has_a_layout() -> None:
    """No version is left without a layout, and each generation's path names it."""
    for version in ApiVersion:
        layout = layout_of(version)
        assert version.value in layout.base_path or dict(layout.query)["api-version"] == version.value
