"""Erasing a person through the CLI: after ``users erase`` / ``endpoints erase``, no byte
of the person's address or ids remains anywhere under the local home (every file,
DuckDB's included), the receipt lists what was removed where, and a later campaign
does not reach them."""

from __future__ import annotations

import json
import string
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from clarion.entrypoints.cli.main import app

FIXTURES = Path(__file__).resolve().parents[1] / "events" / "campaigns"
runner = CliRunner()

_ALPHABET = string.ascii_lowercase + string.digits
# Values distinctive enough that finding their bytes means finding the person.
_ids = st.text(_ALPHABET, min_size=6, max_size=14).map(lambda s: f"zq{s}")


def _run(home: Path, *args: str) -> Any:
    result = runner.invoke(app, ["--home", str(home), "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _files_holding(home: Path, values: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits = [v for v in values if v.encode() in data]
            if hits:
                found[str(path.relative_to(home))] = hits
    return found


def _person_home(
    root: Path, endpoint_ids: list[str], user_id: str, address: str, phone: str
) -> Path:
    """A home where the person is in the profiles, an import file and its segment, the
    outbox, the send records, the event lake, dead letters and a churn-like file."""
    home = root / "home"
    people = [
        {
            "Id": endpoint_ids[0],
            "ChannelType": "EMAIL",
            "Address": address,
            "User": {"UserId": user_id, "UserAttributes": {"FirstName": ["Zed"]}},
            "Attributes": {"Address": ["9 Erase Road"]},
        },
        {
            "Id": endpoint_ids[1],
            "ChannelType": "SMS",
            "Address": phone,
            "User": {"UserId": user_id},
        },
    ]
    imports = home / "imports"
    imports.mkdir(parents=True)
    person_file = imports / "people.ndjson"
    person_file.write_text(
        (FIXTURES / "endpoints.ndjson").read_text() + "".join(json.dumps(p) + "\n" for p in people)
    )
    segment = _run(home, "endpoints", "import", str(person_file), "--segment", "all")
    _run(home, "templates", "create", str(FIXTURES / "template.json"))
    campaign_file = root / "campaign.json"
    campaign = json.loads((FIXTURES / "campaign.json").read_text())
    campaign.update(SegmentId=segment["segment_id"], HoldoutPercent=0)
    campaign_file.write_text(json.dumps(campaign))
    created = _run(home, "campaigns", "create", str(campaign_file))
    _run(home, "campaigns", "launch", created["id"])
    events = root / "events.json"
    events.write_text(
        json.dumps(
            {
                "BatchItem": {
                    endpoint_ids[0]: {
                        "Endpoint": {"ChannelType": "EMAIL", "Address": address},
                        "Events": {
                            "e-1": {
                                "EventType": "purchase",
                                "Timestamp": "2026-03-02T18:03:00.000Z",
                                "Attributes": {"email": address, "who": user_id},
                            },
                            "e-2": {"EventType": "", "Attributes": {"email": address}},
                        },
                    }
                }
            }
        )
    )
    _run(home, "events", "put", str(events))
    churn = home / "churn"
    churn.mkdir()
    (churn / "scores.csv").write_text(
        f"endpoint_id,score\nc-1,0.2\n{endpoint_ids[0]},0.9\n{endpoint_ids[1]},0.4\n"
    )
    return home


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ids=st.lists(_ids, min_size=3, max_size=3, unique=True),
    local=st.text(string.ascii_lowercase, min_size=6, max_size=12),
    digits=st.text(string.digits, min_size=7, max_size=7),
)
def test_after_erase_no_byte_of_the_person_remains_and_no_campaign_reaches_them(
    ids: list[str], local: str, digits: str
) -> None:
    endpoint_ids, user_id = ids[:2], ids[2]
    address, phone = f"zq.{local}@erase.example", f"+1425{digits}"
    values = [*endpoint_ids, user_id, address, phone]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        home = _person_home(root, endpoint_ids, user_id, address, phone)
        before = _files_holding(home, values)
        # The setup really put the person in the stores the erase must clean.
        assert "clarion.duckdb" in before or "clarion.duckdb.wal" in before
        assert any(name.startswith("outbox/") for name in before)
        assert any(name.startswith("dead-letters/") for name in before)
        assert "imports/people.ndjson" in before and "churn/scores.csv" in before

        receipt = _run(home, "users", "erase", user_id)

        assert receipt["EndpointsErased"] == 2
        removed = {(i["Store"], i["Location"], i["Action"]) for i in receipt["Removed"]}
        assert ("profiles", "endpoints", "deleted") in removed
        assert ("database", "events", "rewritten") in removed
        assert ("database", "campaign_sends", "deleted") in removed
        assert ("files", "imports/people.ndjson", "rewritten") in removed
        assert ("files", "churn/scores.csv", "rewritten") in removed
        assert _files_holding(home, values) == {}

        # Everyone else is still there, and their records too.
        assert _run(home, "endpoints", "get", "c-1")["Address"] == "sofia@example.com"
        assert "c-1" in (home / "churn" / "scores.csv").read_text()

        # A later campaign to everyone reaches everyone but the erased person.
        created = _run(home, "campaigns", "create", str(root / "campaign.json"))
        _run(home, "campaigns", "launch", created["id"])
        assert _files_holding(home, values) == {}
        assert len(list((home / "outbox" / "email").glob("*.eml"))) >= 2


def test_endpoints_erase_keeps_the_users_other_endpoint(tmp_path: Path) -> None:
    home = _person_home(
        tmp_path, ["zqmail01", "zqphone01"], "zquser01", "zq@x.example", "+14255550199"
    )
    receipt = _run(home, "endpoints", "erase", "zqmail01")
    assert receipt["EndpointsErased"] == 1
    assert _files_holding(home, ["zqmail01", "zq@x.example"]) == {}
    # The user keeps the SMS endpoint, so the user id stays with it.
    assert _run(home, "endpoints", "get", "zqphone01")["User"]["UserId"] == "zquser01"


def test_erasing_an_unknown_user_removes_nothing_and_says_so(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _run(home, "endpoints", "import", str(FIXTURES / "endpoints.ndjson"))
    receipt = _run(home, "users", "erase", "nobody-here")
    assert receipt["EndpointsErased"] == 0 and receipt["Removed"] == []


def test_an_empty_id_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--home", str(tmp_path), "users", "erase", " "])
    assert result.exit_code == 2
    assert "UserId" in result.output
