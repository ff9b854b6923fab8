"""Slack adapter tests against a fake Slack on loopback."""
