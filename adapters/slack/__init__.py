"""The Slack adapter: `/role-diff`, mentions, DMs and the App Home through slack-bolt.

Importing this package imports no SDK: `adapters.slack.cli` imports slack-bolt
only inside the functions that run the bot, and `settings`, `blocks` and
`dedupe` are pure Python.
"""
