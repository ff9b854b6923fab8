"""role-diff: the platform-agnostic core (knowledge, engine, replies, log, CLI)."""

__version__ = "0.1.0"
