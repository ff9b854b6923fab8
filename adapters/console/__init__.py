"""The local terminal chat: the embedded default, no tokens needed."""
