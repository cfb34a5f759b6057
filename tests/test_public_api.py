"""The package's public surface: what users import."""

from __future__ import annotations

from pathlib import Path

import doctrans_async as dt


def test_all_is_sorted_and_complete() -> None:
    """__all__ is sorted, names only what exists, and covers every public name the package defines."""
    assert dt.__all__ == sorted(dt.__all__)
    assert all(hasattr(dt, name) for name in dt.__all__)
    public = {name for name in vars(dt) if not name.startswith("_") and name not in {"annotations"}}
    modules = {name for name in public if type(getattr(dt, name)).__name__ == "module"}
    assert public - modules <= set(dt.__all__)


def test_package_is_typed() -> None:
    """py.typed ships with the package, so users' type checkers read our hints."""
    assert (Path(dt.__file__).parent / "py.typed").is_file()


def test_error_tree_has_one_root() -> None:
    """Every exception the package exports derives from DocumentTranslationError."""
    errors = [getattr(dt, name) for name in dt.__all__ if name.endswith("Error")]
    assert errors
    assert all(issubclass(error, dt.DocumentTranslationError) for error in errors)
    assert issubclass(dt.PollingTimeoutError, TimeoutError)
    assert issubclass(dt.ClientClosedError, RuntimeError)
    for status_error in (dt.AuthenticationError, dt.NotFoundError, dt.InvalidRequestError):
        assert issubclass(status_error, dt.ServiceError)
    assert issubclass(dt.RateLimitError, dt.ServiceError)
    assert issubclass(dt.ServerError, dt.ServiceError)
