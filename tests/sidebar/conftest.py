"""The sidebar tests' recruiter: Kari, in English, in Oslo's time zone."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def kari(tenant: Any) -> dict:
    return tenant.create("/recruiters", {"email": "kari@acme.no", "name": "Kari Nordmann", "language": "en",
                                         "time_zone": "Europe/Oslo"})
