"""One module per wire protocol; each encodes (for simulators) and decodes (for readers) the same layout."""
