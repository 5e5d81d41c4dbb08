"""The resource classes' machinery, below the query: how a client's classes are built from
schemas and kept (the registry), how their fields are read, what their writes send and
which URIs and answers are theirs."""
