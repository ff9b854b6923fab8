"""The Discord adapter: `/role-diff`, mentions and DMs through discord.py.

Importing this package imports no SDK; `adapters.discord.cli` does, and only
inside the functions that need it.
"""
