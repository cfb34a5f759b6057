"""Runnable examples of doctrans_async; each also runs standalone: ``python examples/<name>.py``."""
