"""The operations table of docs/api-operations.md, made from the registry: every
operation of botocore's ``pinpoint`` model, whether Clarion offers it, and what it does
or why not. ``python -m clarion.entrypoints.api.table --write`` rewrites the file; a
test fails while it is stale."""

from __future__ import annotations

import argparse
from pathlib import Path

from clarion.entrypoints.api.registry import operation_table

DOCUMENT = Path(__file__).resolve().parents[3] / "docs" / "api-operations.md"


def render() -> str:
    """The whole document."""
    rows = operation_table()
    offered = sum(1 for row in rows if row.offered)
    lines = [
        "# Pinpoint API operations in Clarion",
        "",
        "Generated from the API's registry (`python -m clarion.entrypoints.api.table "
        "--write`); a test fails when it is stale. Every operation of botocore's `pinpoint` "
        f"model is routed: {offered} of {len(rows)} are offered; the others answer "
        "`MethodNotAllowedException` (405) with the reason below. See docs/api.md.",
        "",
        "| operation | method and path | status | what it does, or why it is not offered |",
        "| --- | --- | --- | --- |",
    ]
    for row in rows:
        status = "offered" if row.offered else "not offered"
        note = row.note.replace("|", "\\|")
        lines.append(f"| `{row.name}` | `{row.method} {row.uri}` | {status} | {note} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite docs/api-operations.md")
    args = parser.parse_args()
    text = render()
    if args.write:
        DOCUMENT.write_text(text, encoding="utf-8")
    else:
        print(text, end="")


if __name__ == "__main__":
    main()
