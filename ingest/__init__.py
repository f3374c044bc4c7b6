"""lexmap ingest: source files -> provision tree -> RDF -> validated, atomic load -> index."""
