"""Serial transport: port discovery, the reader thread, reconnect and link statistics."""
