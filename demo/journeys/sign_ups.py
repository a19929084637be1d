"""Sign-up events for the onboarding journey: a PutEvents body with one ``sign_up``
event for each endpoint id read from a file (one id a line), at a fixed moment.

Usage: python demo/journeys/sign_ups.py IDS_FILE OUT_FILE [--count N] [--at ISO-8601]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def sign_ups(endpoint_ids: list[str], at: str) -> dict[str, object]:
    return {
        "BatchItem": {
            endpoint_id: {
                "Endpoint": {},
                "Events": {
                    f"signup-{n}": {
                        "EventType": "sign_up",
                        "Timestamp": at,
                        "Attributes": {"plan": "starter"},
                    }
                },
            }
            for n, endpoint_id in enumerate(endpoint_ids)
        }
    }


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__)
    arguments.add_argument("ids", type=Path)
    arguments.add_argument("out", type=Path)
    arguments.add_argument("--count", type=int, default=20)
    arguments.add_argument("--at", default="2025-03-03T09:00:00Z")
    options = arguments.parse_args()
    ids = [line.strip() for line in options.ids.read_text(encoding="utf-8").splitlines()]
    body = sign_ups([i for i in ids if i][: options.count], options.at)
    options.out.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
    print(f"Wrote {len(body['BatchItem'])} sign-up events to {options.out}")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
