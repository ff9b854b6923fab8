"""Chat adapters: each turns platform events into service calls and replies
into native messages. Chat SDKs are imported only inside their adapter."""
