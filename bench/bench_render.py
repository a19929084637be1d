"""Template rendering throughput.

Renders an email template (subject, HTML and text parts, three variables between
them, one with a DefaultSubstitutions fallback) for N generated endpoints, and in the
same run a bare loop that formats one f-string per endpoint with the same three values,
as the baseline: the cost of getting the values and building a string, with no
template engine, escaping or defaults.

    python -m bench.bench_render [--count N] [--seed S]

Prints a JSON result and writes it to bench/out/render.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import time
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "out"

TEMPLATE = {
    "Subject": "Welcome, {{User.UserAttributes.FirstName}}",
    "HtmlPart": (
        "<html><body><h1>Hello {{User.UserAttributes.FirstName}}</h1>"
        "<p>Your plan: {{Attributes.Plan}}</p><p>See you in {{Location.City}}.</p>"
        "</body></html>"
    ),
    "TextPart": (
        "Hello {{User.UserAttributes.FirstName}}\nYour plan: {{Attributes.Plan}}\n"
        "See you in {{Location.City}}."
    ),
    "DefaultSubstitutions": json.dumps({"Location.City": "town"}),
}
FIRST_NAMES = ["Zoë", "Ana", "<b>Bo</b>", "O'Neil", "Chen", "Amara", "Luis", "Sofia"]
PLANS = ["Free", "Gold", "Platinum & More"]
CITIES = ["Los Angeles", "Paris", "Tōkyō", "Lagos", ""]


def endpoints(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [
        {
            "Id": f"ep-{n}",
            "ChannelType": "EMAIL",
            "Address": f"user{n}@example.com",
            "Attributes": {"Plan": [rng.choice(PLANS)]},
            "User": {
                "UserId": f"u-{n}",
                "UserAttributes": {"FirstName": [rng.choice(FIRST_NAMES)]},
            },
            "Location": {"City": rng.choice(CITIES)},
        }
        for n in range(count)
    ]


def baseline(data: list[dict[str, Any]]) -> float:
    started = time.perf_counter()
    out = []
    for endpoint in data:
        name = endpoint["User"]["UserAttributes"]["FirstName"][0]
        plan = endpoint["Attributes"]["Plan"][0]
        city = endpoint["Location"]["City"]
        out.append(f"Hello {name}, your plan: {plan}, see you in {city}.")
    return time.perf_counter() - started


def rendered(data: list[dict[str, Any]]) -> tuple[float, float, int]:
    from clarion.domain.templates.compiled import compile_template
    from clarion.domain.templates.model import MessageTemplate

    template = MessageTemplate.create("bench-welcome", "EMAIL", TEMPLATE).active
    started = time.perf_counter()
    compiled = compile_template(template)
    compile_seconds = time.perf_counter() - started
    warnings = 0
    started = time.perf_counter()
    for endpoint in data:
        message = compiled.render(endpoint)
        warnings += len(message.warnings)
    return compile_seconds, time.perf_counter() - started, warnings


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    data = endpoints(args.count, args.seed)
    baseline_seconds = baseline(data)
    compile_seconds, render_seconds, warnings = rendered(data)
    result = {
        "benchmark": "render",
        "endpoints": args.count,
        "template": "email: subject + HTML + text, 3 variables, 1 default",
        "compile_ms": round(compile_seconds * 1000, 3),
        "render_seconds": round(render_seconds, 3),
        "messages_per_second": round(args.count / render_seconds),
        "baseline": "one f-string per endpoint with the same 3 values",
        "baseline_seconds": round(baseline_seconds, 3),
        "baseline_per_second": round(args.count / baseline_seconds),
        "slowdown_vs_baseline": round(render_seconds / baseline_seconds, 1),
        "warnings": warnings,
        "python": platform.python_version(),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "render.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
