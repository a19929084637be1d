"""Event ingestion throughput: normalised and written, against a bare ``json.loads`` loop.

Builds a JSON-lines file of mixed records (``--rows``, 1,000,000 by default; cached
under bench/out/): SES v2 records of every event type, SMS v2 delivery records and
Pinpoint app records (sessions, purchases, custom events), from the fixtures in
tests/events with ids and times varied. In the same run:

* the baseline: a loop of ``json.loads`` over the same lines;
* the measured path, the columnar ingestion (``DuckDBColumnarEventIngest``): each line
  decoded, the common shapes made into columns, the rest left to the per-record
  normaliser, and each batch of 10,000 written to the local store as one Arrow table
  (deduplicated on event id); its write time (inserts and the final checkpoint) is
  reported apart;
* the per-record path it replaced, over the first ``--reference-rows`` lines (100,000 by
  default; a million takes minutes): decode, detect the source, normalise to
  ``EventRecord`` (``normalise_payload``), then ``put_records`` in batches of 10,000.

Both write paths start from an empty database file, so their stores end alike.

The storage floor, measured after the columnar run: the rows it stored copied into an
empty ``events`` table of a fresh database file (the same columns and key), DuckDB to
DuckDB with no Python in between. Any ingestion into the local store pays at least this
write, on top of decoding every line.

Then the service, ``clarion events ingest --source ses`` minus the file read
(``EventIngestService.ingest_text`` of a fresh local home), over SES records only (the
same SES templates, ``--rows`` lines; 3 in 10 are unsubscribes, complaints and hard
bounces, whose effects need records), beside ``json.loads`` over the same lines: wired
as the local bootstrap wires it (the columnar path), and without the columnar
ingestion (the per-record path, over the first ``--reference-rows`` lines).

    python -m bench.bench_ingest [--rows N] [--reference-rows N]

Prints a JSON result and writes it to bench/out/ingest.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.storage_floor import storage_floor

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).resolve().parent / "out"
FIXTURES = ROOT / "tests" / "events"
BATCH = 10_000
_SES = (
    "send",
    "delivery",
    "open",
    "click",
    "bounce_permanent",
    "complaint",
    "reject",
    "rendering_failure",
    "delivery_delay",
    "subscription_unsubscribe",
)
_SMS = (
    "text_pending",
    "text_sent",
    "text_delivered",
    "text_blocked",
    "media_delivered",
    "voice_completed",
)


def _templates() -> list[str]:
    """Record templates with ``@N@`` where the line number makes ids unique."""
    out = []
    for name in _SES:
        record = json.loads((FIXTURES / "ses" / f"{name}.json").read_text())
        record["mail"]["messageId"] = "ses-@N@"
        out.append(json.dumps(record, separators=(",", ":")))
    for name in _SMS:
        record = json.loads((FIXTURES / "sms_v2" / f"{name}.json").read_text())
        record["messageId"] = "sms-@N@"
        out.append(json.dumps(record, separators=(",", ":")))
    for event_type, metrics in (
        ("_session.start", {}),
        ("_monetization.purchase", {"_quantity": 1.0, "_item_price": 9.99}),
        ("AddToCart", {"items": 2.0}),
    ):
        record = {
            "event_type": event_type,
            "event_timestamp": 1772442000000,
            "arrival_timestamp": 1772442000500,
            "application": {"app_id": "app-1", "sdk": {}},
            "client": {"client_id": "endpoint-@N@"},
            "session": {"session_id": "s-@N@", "start_timestamp": 1772442000000},
            "attributes": {"screen": "home"},
            "metrics": metrics,
            "event_id": "app-@N@",
        }
        out.append(json.dumps(record, separators=(",", ":")))
    return out


def lines_file(count: int, *, ses_only: bool = False) -> Path:
    path = OUT / (f"events-ses-{count}.jsonl" if ses_only else f"events-{count}.jsonl")
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    templates = _templates()[: len(_SES)] if ses_only else _templates()
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8") as out:
        for n in range(count):
            out.write(templates[n % len(templates)].replace("@N@", str(n)) + "\n")
    partial.replace(path)
    return path


def baseline(path: Path) -> dict[str, Any]:
    started = time.perf_counter()
    count = 0
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            json.loads(line)
            count += 1
    seconds = time.perf_counter() - started
    return {"records": count, "seconds": round(seconds, 3), "per_second": round(count / seconds)}


def ingest(path: Path) -> dict[str, Any]:
    from clarion.adapters.local.common.database import LocalDatabase
    from clarion.adapters.local.events.event_sink import DuckDBEventStore
    from clarion.domain.events.normalise.kinesis import normalise_payload

    with tempfile.TemporaryDirectory(prefix="clarion-bench-") as home:
        database = LocalDatabase(Path(home))
        store = DuckDBEventStore(database)
        accepted = rejected = written = 0
        normalise_s = write_s = 0.0
        started = time.perf_counter()
        with path.open(encoding="utf-8") as lines:
            batch = []
            t0 = time.perf_counter()
            for index, line in enumerate(lines):
                result = normalise_payload(
                    json.loads(line),
                    app_id="app-1",
                    arrival_timestamp=1772442001000,
                    index=index,
                )
                batch.extend(result.records)
                rejected += len(result.rejects)
                if len(batch) >= BATCH:
                    t1 = time.perf_counter()
                    normalise_s += t1 - t0
                    written += len(store.put_records(batch))
                    accepted += len(batch)
                    batch = []
                    t0 = time.perf_counter()
                    write_s += t0 - t1
            t1 = time.perf_counter()
            normalise_s += t1 - t0
            written += len(store.put_records(batch))
            accepted += len(batch)
            write_s += time.perf_counter() - t1
        seconds = time.perf_counter() - started
        stored = store.count()
        database.close()
    return {
        "records": accepted,
        "rejected": rejected,
        "written": written,
        "stored": stored,
        "seconds": round(seconds, 3),
        "normalise_seconds": round(normalise_s, 3),
        "write_seconds": round(write_s, 3),
        "per_second": round(accepted / seconds),
    }


def columnar(path: Path) -> dict[str, Any]:
    from clarion.adapters.local.common.database import LocalDatabase
    from clarion.adapters.local.events.columnar_ingest import DuckDBColumnarEventIngest
    from clarion.adapters.local.events.event_sink import DuckDBEventStore

    with tempfile.TemporaryDirectory(prefix="clarion-bench-") as home:
        database = LocalDatabase(Path(home))
        ingest = DuckDBColumnarEventIngest(database, batch_size=BATCH)
        write_s = 0.0
        write = ingest._write

        def timed_write(columns: Any, result: Any) -> int:
            nonlocal write_s
            started = time.perf_counter()
            stored = write(columns, result)
            write_s += time.perf_counter() - started
            return stored

        finish = ingest._finish

        def timed_finish(cursor: Any) -> None:
            nonlocal write_s
            started = time.perf_counter()
            finish(cursor)
            write_s += time.perf_counter() - started

        ingest._write = timed_write  # type: ignore[method-assign]
        ingest._finish = timed_finish  # type: ignore[method-assign]
        started = time.perf_counter()
        with path.open(encoding="utf-8") as lines:
            result = ingest.ingest_lines(lines, app_id="app-1", arrival_timestamp=1772442001000)
        seconds = time.perf_counter() - started
        stored = DuckDBEventStore(database).count()
        floor = storage_floor(database.connection(), Path(home), "events", checkpoint=True)
        database.close()
    return {
        "records": result.accepted,
        "storage_floor": floor,
        "rejected": len(result.rejects),
        "deferred_to_per_record": result.deferred,
        "written": result.stored,
        "stored": stored,
        "seconds": round(seconds, 3),
        "normalise_seconds": round(seconds - write_s, 3),
        "write_seconds": round(write_s, 3),
        "per_second": round(result.accepted / seconds),
    }


def service(path: Path, *, columnar: bool) -> dict[str, Any]:
    from clarion.bootstrap import Bootstrap
    from clarion.bootstrap.settings import Settings

    with tempfile.TemporaryDirectory(prefix="clarion-bench-") as home:
        boot = Bootstrap(Settings(backend="local", home=Path(home)))
        if not columnar:  # the per-record path, as on AWS (which has no columnar ingest)
            boot.adapters.__dict__["columnar_event_ingest"] = None
        text = path.read_text(encoding="utf-8")
        started = time.perf_counter()
        result = boot.event_ingest_service.ingest_text(text, "ses", origin=path.name)
        seconds = time.perf_counter() - started
        boot.adapters.database.close()
    return {
        "records": result.accepted,
        "stored": result.stored,
        "rejected": len(result.rejected),
        "unresolved_effects": len(result.effects.unresolved),
        "seconds": round(seconds, 3),
        "per_second": round(result.accepted / seconds),
    }


def _head(path: Path, rows: int) -> Path:
    """The first ``rows`` lines of ``path`` (the file itself when it has no more)."""
    if rows >= sum(1 for _ in path.open(encoding="utf-8")):
        return path
    head = OUT / f"{path.stem}-head-{rows}.jsonl"
    if not head.exists():
        with path.open(encoding="utf-8") as source, head.open("w", encoding="utf-8") as out:
            for n, line in enumerate(source):
                if n >= rows:
                    break
                out.write(line)
    return head


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench_ingest")
    parser.add_argument("--rows", "--count", dest="rows", type=int, default=1_000_000)
    parser.add_argument("--reference-rows", type=int, default=100_000)
    args = parser.parse_args(argv)
    path = lines_file(args.rows)
    base = baseline(path)
    measured = columnar(path)
    reference_path = _head(path, min(args.reference_rows, args.rows))
    reference_base = baseline(reference_path) if reference_path != path else base
    reference = ingest(reference_path)
    ses_path = lines_file(args.rows, ses_only=True)
    ses_base = baseline(ses_path)
    wired = service(ses_path, columnar=True)
    ses_reference_path = _head(ses_path, min(args.reference_rows, args.rows))
    ses_reference_base = (
        baseline(ses_reference_path) if ses_reference_path != ses_path else ses_base
    )
    unwired = service(ses_reference_path, columnar=False)
    result = {
        "benchmark": "ingest",
        "lines": args.rows,
        "file_bytes": path.stat().st_size,
        "json_loads_baseline": base,
        "columnar_normalise_and_write": measured,
        # The goal: the columnar ingestion at 0.3 of the bare json.loads rate or better.
        "columnar_rate_vs_json_loads": round(base["seconds"] / max(measured["seconds"], 1e-9), 3),
        # The write alone, DuckDB to DuckDB: an upper bound on any local ingestion's rate.
        "storage_floor_rate_vs_json_loads": round(
            base["seconds"] / max(measured["storage_floor"]["seconds"], 1e-9), 3
        ),
        # Decoding every line with json.loads and then only the floor's write, nothing
        # else: the best rate a path that decodes in Python can reach on this store.
        "json_loads_plus_storage_floor_rate_vs_json_loads": round(
            base["seconds"] / (base["seconds"] + measured["storage_floor"]["seconds"]), 3
        ),
        "columnar_normalise_only_rate_vs_json_loads": round(
            base["seconds"] / max(measured["normalise_seconds"], 1e-9), 3
        ),
        "per_record_normalise_and_write": {
            **reference,
            "lines": reference["records"],
            "json_loads_seconds_same_lines": reference_base["seconds"],
        },
        "per_record_rate_vs_json_loads": round(
            reference_base["seconds"] / max(reference["seconds"], 1e-9), 3
        ),
        "service_ses_json_loads_baseline": ses_base,
        "service_ses_columnar_path": wired,
        "service_ses_columnar_rate_vs_json_loads": round(
            ses_base["seconds"] / max(wired["seconds"], 1e-9), 3
        ),
        "service_ses_per_record_path": {
            **unwired,
            "json_loads_seconds_same_lines": ses_reference_base["seconds"],
        },
        "service_ses_per_record_rate_vs_json_loads": round(
            ses_reference_base["seconds"] / max(unwired["seconds"], 1e-9), 3
        ),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "ingest.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
