"""Churn score writes: the profile store's bulk ``set_metrics`` against the
per-document path it replaced, in the same run.

Puts ``--endpoints`` endpoints (100,000 by default; each with attributes, a user and a
metric) into two fresh local databases, then writes one ``Metrics.ChurnRisk`` score to
each endpoint:

* baseline, the per-document path churn scoring used before: 500 endpoints a batch
  read (``get_endpoints``), merged in Python (``model_copy``) and written back
  (``put_endpoints``);
* measured, :meth:`ChurnScoring.write_scores` as it is now: ``set_metrics`` in batches
  of ``WRITE_BATCH`` (one DuckDB statement each).

Both results are checked equal (every endpoint, read back) before the figures count.

    python -m bench.bench_score_writes [--endpoints N]

Prints a JSON result and writes it to bench/out/score_writes.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "out"
PER_DOCUMENT_BATCH = 500


def _endpoints(count: int) -> list[Any]:
    from clarion.domain.audience.endpoint import Endpoint

    return [
        Endpoint.model_validate(
            {
                "Id": f"ep-{n:07d}",
                "ChannelType": "EMAIL",
                "Address": f"user{n}@example.com",
                "Attributes": {"Plan": ["Gold" if n % 3 else "Free"]},
                "Metrics": {"Visits": float(n % 17)},
                "User": {"UserId": f"user-{n}"},
                "EffectiveDate": "2026-01-02T03:04:05.000Z",
            }
        )
        for n in range(count)
    ]


def _store(folder: Path, endpoints: list[Any]) -> tuple[Any, Any]:
    from clarion.adapters.local.audience.profile_store import DuckDBProfileStore
    from clarion.adapters.local.common.database import LocalDatabase

    database = LocalDatabase(folder)
    store = DuckDBProfileStore(database)
    for start in range(0, len(endpoints), 50_000):
        store.put_endpoints(endpoints[start : start + 50_000])
    return database, store


def per_document(store: Any, scores: dict[str, float]) -> int:
    """The write churn scoring did before ``set_metrics``: read, merge, put."""
    from clarion.domain.churn.model import CHURN_METRIC

    ids = list(scores)
    written = 0
    for start in range(0, len(ids), PER_DOCUMENT_BATCH):
        found = store.get_endpoints(ids[start : start + PER_DOCUMENT_BATCH])
        updated = []
        for endpoint_id, endpoint in found.items():
            metrics = {**(endpoint.metrics or {}), CHURN_METRIC: round(scores[endpoint_id], 6)}
            updated.append(endpoint.model_copy(update={"metrics": metrics}))
        store.put_endpoints(updated)
        written += len(updated)
    return written


def bulk(store: Any, scores: dict[str, float]) -> int:
    """``ChurnScoring.write_scores`` as it is: through ``set_metrics``."""
    from clarion.services.churn.scoring import ChurnScoring

    scoring = ChurnScoring.__new__(ChurnScoring)
    scoring._profiles = store  # write_scores needs only the profile store
    return scoring.write_scores(scores)


def _timed(action: Any) -> tuple[int, float]:
    started = time.perf_counter()
    written = action()
    return written, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", type=int, default=100_000)
    args = parser.parse_args(argv)
    endpoints = _endpoints(args.endpoints)
    scores = {e.id: (hash(e.id) % 1_000_003) / 1_000_003 for e in endpoints}
    with tempfile.TemporaryDirectory(prefix="clarion-bench-") as folder:
        base_db, base_store = _store(Path(folder) / "per-document", endpoints)
        bulk_db, bulk_store = _store(Path(folder) / "bulk", endpoints)
        base_written, base_s = _timed(lambda: per_document(base_store, scores))
        bulk_written, bulk_s = _timed(lambda: bulk(bulk_store, scores))
        ids = [e.id for e in endpoints]
        same = base_store.get_endpoints(ids) == bulk_store.get_endpoints(ids)
        base_db.close()
        bulk_db.close()
    if not same or base_written != bulk_written:
        raise SystemExit("the bulk write and the per-document write disagree")
    report = {
        "benchmark": "churn score writes (Metrics.ChurnRisk, local profile store)",
        "endpoints": args.endpoints,
        "bulk_set_metrics": {
            "written": bulk_written,
            "seconds": round(bulk_s, 3),
            "writes_per_second": round(bulk_written / bulk_s),
        },
        "baseline_per_document": {
            "written": base_written,
            "seconds": round(base_s, 3),
            "writes_per_second": round(base_written / base_s),
        },
        "speedup": round(base_s / bulk_s, 1),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "score_writes.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
