"""What came off the wire: serial transport, protocol decoders, simulators. No Qt, no database."""
