"""ATS connectors and the vendor simulators they are tested against.

A connector gets credentials and a `since` bookmark, yields vendor-neutral records and the new
bookmark, and performs writes (note, tag) when asked. It never persists anything and never imports
`plugin`, Flask or SQLAlchemy, so it can be tested against an HTTP server and nothing else.
"""
