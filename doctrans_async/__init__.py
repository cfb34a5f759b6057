"""Asyncio-native client for the Azure AI Translator Document Translation batch API."""

from doctrans_async._version import __version__

__all__ = ["__version__"]
