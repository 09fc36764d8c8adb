"""Vendor simulators: small WSGI apps that behave like each ATS's documented API, served over real
HTTP in tests and in the demo. `dataset.generate()` fills them with the same deterministic people."""
