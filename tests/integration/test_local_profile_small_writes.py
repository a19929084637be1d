"""Differential: the local profile store's small-write path (one ``INSERT ... ON
CONFLICT``) leaves the table exactly as the batch path does, last activity included."""

from __future__ import annotations

from pathlib import Path

from clarion.adapters.local.audience.profile_store import SMALL_WRITE, DuckDBProfileStore
from clarion.adapters.local.common.database import LocalDatabase
from clarion.domain.audience.endpoint import Endpoint, validate_endpoint


def _endpoints(version: int) -> list[Endpoint]:
    return [
        validate_endpoint(
            {
                "Id": f"e{n}",
                "ChannelType": "EMAIL",
                "Address": f"e{n}.{version}@example.com",
                "EffectiveDate": f"2026-0{1 + (n + version) % 9}-01T00:00:00Z",
                "Attributes": {"Plan": [f"p{version}"], **({"Extra": ["x"]} if n % 2 else {})},
                "Metrics": {"visits": float(n + version)},
                "User": {"UserId": f"u{n % 3}", "UserAttributes": {"Name": [f"n{n}"]}},
                "Location": {"Country": "FR", "Latitude": 48.8},
                "Demographic": {"Timezone": "Europe/Paris"},
            }
        )
        for n in range(SMALL_WRITE + 4)
    ]


def _table(store_home: Path) -> list[tuple[object, ...]]:
    database = LocalDatabase(store_home)
    rows = database.cursor().execute("SELECT * FROM endpoints ORDER BY id").fetchall()
    database.close()
    return rows


def test_small_writes_match_batch_writes(tmp_path: Path) -> None:
    small_home, batch_home = tmp_path / "small", tmp_path / "batch"
    small = DuckDBProfileStore(LocalDatabase(small_home))
    batch = DuckDBProfileStore(LocalDatabase(batch_home))
    for version in range(3):
        endpoints = _endpoints(version)
        # One store writes a few at a time (the small path), the other all at once.
        for start in range(0, len(endpoints), 3):
            small.put_endpoints(endpoints[start : start + 3])
        batch.put_endpoints(endpoints)
        small.record_activity({"e1": 1_800_000_000_000})
        batch.record_activity({"e1": 1_800_000_000_000})
    assert small.get_endpoints([e.id for e in _endpoints(0)]) == batch.get_endpoints(
        [e.id for e in _endpoints(0)]
    )
    assert small.attribute_names() == batch.attribute_names()
    del small, batch
    assert _table(small_home) == _table(batch_home)
