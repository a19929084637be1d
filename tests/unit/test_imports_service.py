"""EndpointImportService on the real local adapters (DuckDB under a temporary home)."""

from __future__ import annotations

import csv
import gzip
import io
import json
import tracemalloc
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from clarion.adapters.local.audience.profile_store import DuckDBProfileStore
from clarion.bootstrap import Bootstrap
from clarion.bootstrap.settings import Settings
from clarion.domain.audience.endpoint import (
    MAX_ATTRIBUTE_NAMES_PER_PROJECT,
    Endpoint,
    validate_endpoint,
)
from clarion.domain.audience.import_formats import ImportFileError, address_endpoint_id
from clarion.services.audience import imports
from clarion.services.audience.imports import EndpointImportService, ImportResult, Rejection
from clarion_devkit.samples.customers import WHITEPAPER_HEADER, write_customers

FIXTURES = Path(__file__).resolve().parents[1] / "events" / "imports"


@pytest.fixture
def boot(tmp_path: Path) -> Bootstrap:
    return Bootstrap(Settings(home=tmp_path / "home"))


@pytest.fixture
def service(boot: Bootstrap) -> EndpointImportService:
    return boot.import_service


class CountingStore(DuckDBProfileStore):
    """The real store, counting the calls the importer makes."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.calls: dict[str, int] = {}

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1

    def get_endpoints(self, endpoint_ids: Sequence[str]) -> dict[str, Endpoint]:
        self._count("get_endpoints")
        return super().get_endpoints(endpoint_ids)

    def put_endpoints(self, endpoints: Sequence[Endpoint]) -> None:
        self._count("put_endpoints")
        super().put_endpoints(endpoints)

    def endpoints_for_user(self, user_id: str) -> list[Endpoint]:
        self._count("endpoints_for_user")
        return super().endpoints_for_user(user_id)

    def endpoint_ids_for_users(self, user_ids: Sequence[str]) -> dict[str, set[str]]:
        self._count("endpoint_ids_for_users")
        return super().endpoint_ids_for_users(user_ids)


def _csv(path: Path, header: str, *rows: str) -> Path:
    path.write_text("\n".join((header, *rows)) + "\n", encoding="utf-8")
    return path


def _problems(result: ImportResult) -> list[tuple[int, str]]:
    return [(r.line, r.field) for r in result.rejected]


# -- the fixtures ------------------------------------------------------------------------


def test_csv_fixture_imports_good_rows_and_names_each_bad_one(
    service: EndpointImportService, boot: Bootstrap
) -> None:
    result = service.import_file(FIXTURES / "customers.csv")

    assert (result.imported, result.updated, result.rejected_lines) == (4, 0, 4)
    assert _problems(result) == [
        (4, "Address"),  # not-an-email
        (6, "Metrics.Visits"),  # "lots"
        (7, "Address"),  # 555-0100 is not E.164
        (8, "Demographic.Timezone"),  # Europe/Nowhere
    ]
    assert "E.164" in result.rejected[2].reason
    zoe = boot.adapters.profile_store.get_endpoint(
        address_endpoint_id("EMAIL", "zoe.muller@example.com")
    )
    assert zoe is not None
    assert zoe.user is not None and zoe.user.user_attributes is not None
    assert zoe.user.user_attributes["FirstName"] == ["Zoë"]
    assert zoe.attributes == {"Interests": ["Cycling, road", "Books"]}
    assert zoe.creation_date and zoe.effective_date
    jose = boot.adapters.profile_store.get_endpoint("ep-jose")
    assert jose is not None and jose.address == "jose.garcia@example.org"
    bad = address_endpoint_id("EMAIL", "visits@example.net")
    assert boot.adapters.profile_store.get_endpoint(bad) is None


def test_reimporting_the_same_file_updates_instead_of_duplicating(
    service: EndpointImportService, boot: Bootstrap
) -> None:
    service.import_file(FIXTURES / "customers.csv")
    again = service.import_file(FIXTURES / "customers.csv")

    assert (again.imported, again.updated) == (0, 4)
    assert len(boot.adapters.profile_store.endpoints_for_user("cust-1")) == 2


def test_ndjson_fixture(service: EndpointImportService, boot: Bootstrap) -> None:
    result = service.import_file(FIXTURES / "endpoints.ndjson")

    assert (result.imported, result.updated) == (3, 0)
    assert [r.line for r in result.rejected] == [4, 5]
    assert result.rejected[0].field.startswith("Attributes")
    ana = boot.adapters.profile_store.get_endpoint(address_endpoint_id("EMAIL", "ana@example.com"))
    assert ana is not None and ana.attributes == {"Ride": ["Bus", "Tram"]}
    assert ana.metrics == {"Trips": 4.0}


def test_gzipped_export_keeps_pinpoint_dates_and_ids(
    service: EndpointImportService, boot: Bootstrap
) -> None:
    result = service.import_file(FIXTURES / "pinpoint-export.gz")

    assert (result.imported, result.updated) == (3, 0)
    assert _problems(result) == [(3, "Id")]
    mei = boot.adapters.profile_store.get_endpoint("exp-1")
    assert mei is not None
    assert mei.creation_date == "2024-03-01T10:00:00.000Z"
    assert mei.effective_date == "2025-01-15T08:30:00.000Z"
    assert mei.application_id == "0123456789abcdef0123456789abcdef"
    push = boot.adapters.profile_store.get_endpoint("exp-2")
    assert push is not None and push.is_opted_out and not push.is_active


def test_a_stream_with_only_read_is_enough(service: EndpointImportService) -> None:
    class BodyLike:
        """Like an S3 object body: read(size) and nothing else."""

        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def read(self, size: int = -1) -> bytes:
            return self._data.read(size)

    data = (FIXTURES / "pinpoint-export.gz").read_bytes()
    result = service.import_stream(BodyLike(data), name="exports/0000.gz")
    assert result.imported == 3


# -- ids, merging and batches -----------------------------------------------------------


def test_row_with_id_merges_into_the_existing_endpoint(
    service: EndpointImportService, boot: Bootstrap, tmp_path: Path
) -> None:
    boot.adapters.profile_store.put_endpoints(
        [
            validate_endpoint(
                {
                    "Id": "known",
                    "ChannelType": "EMAIL",
                    "Address": "old@example.com",
                    "Attributes": {"Plan": ["Gold"]},
                    "CreationDate": "2020-01-01T00:00:00Z",
                }
            )
        ]
    )
    path = _csv(
        tmp_path / "update.csv",
        "Id,Address,Attributes.Interests",
        "known,new@example.com,Chess",
        "unknown,,Chess",  # a new endpoint needs ChannelType and Address
    )
    result = service.import_file(path)

    assert (result.imported, result.updated) == (0, 1)
    assert _problems(result) == [(3, "ChannelType")]
    known = boot.adapters.profile_store.get_endpoint("known")
    assert known is not None
    assert known.address == "new@example.com"
    assert known.attributes == {"Plan": ["Gold"], "Interests": ["Chess"]}
    assert known.creation_date == "2020-01-01T00:00:00Z"


def test_row_without_id_needs_channel_type_and_address(
    service: EndpointImportService, tmp_path: Path
) -> None:
    path = _csv(
        tmp_path / "missing.csv",
        "ChannelType,Address,Demographic.Timezone",
        "EMAIL,,Europe/Paris",
        ",a@example.com,Not/AZone",
        "EMAIL,ok@example.com,Europe/Paris",
    )
    result = service.import_file(path)

    assert (result.imported, result.rejected_lines) == (1, 2)
    # The unkeyed row's other problems are reported too, in one pass.
    assert _problems(result) == [(2, "Address"), (3, "ChannelType"), (3, "Demographic.Timezone")]


@pytest.mark.parametrize("batch_size", [1000, 2])
def test_a_later_row_for_the_same_endpoint_wins_and_counts_as_updated(
    boot: Bootstrap, tmp_path: Path, batch_size: int
) -> None:
    service = EndpointImportService(boot.adapters.profile_store, boot.segment_service, batch_size)
    path = _csv(
        tmp_path / "twice.csv",
        "ChannelType,Address,User.UserAttributes.FirstName",
        "EMAIL,a@example.com,First",
        "EMAIL,b@example.com,Other",
        "EMAIL,a@example.com,Second",
    )
    result = service.import_file(path)

    assert (result.imported, result.updated) == (2, 1)
    stored = boot.adapters.profile_store.get_endpoint(address_endpoint_id("EMAIL", "a@example.com"))
    assert stored is not None and stored.user is not None
    assert stored.user.user_attributes == {"FirstName": ["Second"]}


def test_one_read_and_one_write_per_batch(boot: Bootstrap, tmp_path: Path) -> None:
    store = CountingStore(boot.adapters.database)
    service = EndpointImportService(store, boot.segment_service, batch_size=2)
    rows = [f"EMAIL,user{i}@example.com" for i in range(5)]
    result = service.import_file(_csv(tmp_path / "five.csv", "ChannelType,Address", *rows))

    assert result.imported == 5
    assert store.calls["get_endpoints"] == 3
    assert store.calls["put_endpoints"] == 3


def test_bad_row_does_not_stop_its_batch(boot: Bootstrap, tmp_path: Path) -> None:
    service = EndpointImportService(boot.adapters.profile_store, boot.segment_service, batch_size=3)
    path = _csv(
        tmp_path / "mixed.csv",
        "ChannelType,Address",
        "EMAIL,a@example.com",
        "EMAIL,broken",
        "EMAIL,c@example.com",
    )
    result = service.import_file(path)
    assert (result.imported, _problems(result)) == (2, [(3, "Address")])


# -- project and user limits -----------------------------------------------------------


def _user_endpoint(endpoint_id: str, user_id: str) -> Endpoint:
    return validate_endpoint(
        {
            "Id": endpoint_id,
            "ChannelType": "EMAIL",
            "Address": f"{endpoint_id}@example.com",
            "User": {"UserId": user_id},
        }
    )


def test_sixteenth_endpoint_of_a_user_is_rejected(boot: Bootstrap, tmp_path: Path) -> None:
    boot.adapters.profile_store.put_endpoints(
        [_user_endpoint(f"pre{i}", "crowded") for i in range(13)]
    )
    store = CountingStore(boot.adapters.database)
    service = EndpointImportService(store, boot.segment_service, batch_size=2)
    path = _csv(
        tmp_path / "crowd.csv",
        "Id,ChannelType,Address,User.UserId",
        "new1,EMAIL,new1@example.com,crowded",  # 14
        "pre0,EMAIL,pre0@example.com,crowded",  # an update: still 14
        "new2,EMAIL,new2@example.com,crowded",  # 15
        "new3,EMAIL,new3@example.com,crowded",  # 16: rejected
        "new4,EMAIL,new4@example.com,roomy",
        "new5,EMAIL,new5@example.com,crowded",  # 16: rejected (earlier batches counted)
    )
    result = service.import_file(path)

    assert (result.imported, result.updated) == (3, 1)
    assert _problems(result) == [(5, "User.UserId"), (7, "User.UserId")]
    assert "15 endpoints" in result.rejected[0].reason
    assert len(boot.adapters.profile_store.endpoints_for_user("crowded")) == 15
    # Each user is asked of the store once, however many batches mention it: one batched
    # lookup for "crowded" (first batch) and one for "roomy" (third batch).
    assert store.calls["endpoint_ids_for_users"] == 2
    assert "endpoints_for_user" not in store.calls


def test_users_are_looked_up_in_one_call_per_batch(boot: Bootstrap, tmp_path: Path) -> None:
    boot.adapters.profile_store.put_endpoints(
        [_user_endpoint(f"pre{i}", "crowded") for i in range(15)]
    )
    store = CountingStore(boot.adapters.database)
    service = EndpointImportService(store, boot.segment_service, batch_size=1000)
    rows = [f"n{i},EMAIL,n{i}@example.com,user{i % 3}" for i in range(9)]
    path = _csv(
        tmp_path / "b.csv",
        "Id,ChannelType,Address,User.UserId",
        *rows,
        "x,EMAIL,x@example.com,crowded",
    )
    result = service.import_file(path)

    assert result.imported == 9
    assert _problems(result) == [(11, "User.UserId")]
    assert store.calls.get("endpoints_for_user", 0) == 0
    assert store.calls["endpoint_ids_for_users"] == 1


def test_moving_an_endpoint_to_another_user_frees_its_place(
    boot: Bootstrap, tmp_path: Path
) -> None:
    boot.adapters.profile_store.put_endpoints(
        [_user_endpoint(f"pre{i}", "full") for i in range(15)]
    )
    path = _csv(
        tmp_path / "move.csv",
        "Id,ChannelType,Address,User.UserId",
        "pre0,EMAIL,pre0@example.com,elsewhere",
        "fresh,EMAIL,fresh@example.com,full",
    )
    result = boot.import_service.import_file(path)
    assert (result.imported, result.updated, result.rejected) == (1, 1, [])


def test_the_250th_attribute_name_is_the_last(boot: Bootstrap, tmp_path: Path) -> None:
    names = {f"A{i}": ["x"] for i in range(MAX_ATTRIBUTE_NAMES_PER_PROJECT - 1)}
    boot.adapters.profile_store.put_endpoints(
        [
            validate_endpoint(
                {
                    "Id": "wide",
                    "ChannelType": "EMAIL",
                    "Address": "w@example.com",
                    "Attributes": names,
                }
            )
        ]
    )
    path = _csv(
        tmp_path / "names.csv",
        "ChannelType,Address,Attributes.Last,Metrics.OneTooMany,Attributes.A0",
        "EMAIL,a@example.com,yes,,",  # the 250th name
        "EMAIL,b@example.com,,3,",  # would be the 251st
        "EMAIL,c@example.com,yes,,again",  # names already in use
    )
    result = boot.import_service.import_file(path)

    assert result.imported == 2
    assert _problems(result) == [(3, "Metrics.OneTooMany")]
    assert "250" in result.rejected[0].reason


# -- segments, results, progress, memory --------------------------------------------------


def test_segment_holds_every_imported_and_updated_endpoint(boot: Bootstrap, tmp_path: Path) -> None:
    boot.import_service.import_file(FIXTURES / "customers.csv")  # so some become updates
    service = EndpointImportService(boot.adapters.profile_store, boot.segment_service, batch_size=3)
    path = _csv(
        tmp_path / "seg.csv",
        "ChannelType,Address",
        "EMAIL,zoe.muller@example.com",
        "EMAIL,fresh@example.com",
        "EMAIL,nope",
        "EMAIL,amelia@example.com",
        "EMAIL,another@example.com",
    )
    result = service.import_file(path, segment_name="Spring launch")

    assert (result.imported, result.updated) == (2, 2)
    assert result.segment_id is not None
    segment = boot.segment_service.get_segment(result.segment_id)
    assert segment["Name"] == "Spring launch"
    expected = {
        address_endpoint_id("EMAIL", a)
        for a in (
            "zoe.muller@example.com",
            "fresh@example.com",
            "amelia@example.com",
            "another@example.com",
        )
    }
    assert set(boot.segment_service.members(result.segment_id)) == expected


def test_unknown_column_fails_before_a_segment_is_made(boot: Bootstrap, tmp_path: Path) -> None:
    path = _csv(tmp_path / "foo.csv", "ChannelType,Address,Foo", "EMAIL,a@example.com,1")
    with pytest.raises(ImportFileError, match="Foo"):
        boot.import_service.import_file(path, segment_name="never")
    assert boot.segment_service.list_segments() == []
    assert (
        boot.adapters.profile_store.get_endpoint(address_endpoint_id("EMAIL", "a@example.com"))
        is None
    )


def test_result_json_shape() -> None:
    result = ImportResult(imported=2, updated=1, segment_id="s1")
    result.reject(Rejection(3, "Address", "bad"))
    assert result.to_json() == {
        "imported": 2,
        "updated": 1,
        "rejected": [{"line": 3, "field": "Address", "reason": "bad"}],
        "segment_id": "s1",
    }


def test_stored_rejections_are_capped_but_all_counted(
    service: EndpointImportService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "MAX_STORED_REJECTIONS", 5)
    rows = [f"EMAIL,bad{i}" for i in range(8)]
    result = service.import_file(_csv(tmp_path / "bad.csv", "ChannelType,Address", *rows))

    data = result.to_json()
    assert [r["line"] for r in data["rejected"]] == [2, 3, 4, 5, 6]
    assert data["rejected_total"] == 8
    assert result.rejected_lines == 8


def test_progress_reports_bytes_up_to_the_file_size(boot: Bootstrap, tmp_path: Path) -> None:
    service = EndpointImportService(
        boot.adapters.profile_store, boot.segment_service, batch_size=50
    )
    rows = [f"EMAIL,p{i}@example.com" for i in range(400)]
    path = _csv(tmp_path / "p.csv", "ChannelType,Address", *rows)
    seen: list[int] = []
    service.import_file(path, progress=seen.append)

    assert len(seen) >= 2
    assert seen == sorted(seen)
    assert seen[-1] == path.stat().st_size


# A store that keeps nothing, so the memory measured is the importer's own: the real
# store's growth with the data it holds is not the importer's doing.
class DiscardingStore:
    def put_endpoints(self, endpoints: Sequence[Endpoint]) -> None:
        pass

    def get_endpoints(self, endpoint_ids: Sequence[str]) -> dict[str, Endpoint]:
        return {}

    def get_endpoint(self, endpoint_id: str) -> Endpoint | None:
        return None

    def endpoints_for_user(self, user_id: str) -> list[Endpoint]:
        return []

    def endpoint_ids_for_users(self, user_ids: Sequence[str]) -> dict[str, set[str]]:
        return {}

    def delete_endpoints(self, endpoint_ids: Sequence[str]) -> None:
        pass

    def attribute_names(self) -> set[str]:
        return set()

    def record_activity(self, activity_ms: Any) -> None:
        pass


def _peak_bytes(rows: int, tmp_path: Path) -> tuple[int, ImportResult]:
    path = tmp_path / f"mem{rows}.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8", newline="") as handle:
        handle.write("ChannelType,Address,User.UserId,Attributes.Tier\n")
        for i in range(rows):
            # Distinct users and a bad row now and then: per-user and rejection state
            # are what could grow.
            address = f"+1415{i:07d}" if i % 97 else "bad"
            handle.write(f"SMS,{address},user{i},gold\n")
    service = EndpointImportService(DiscardingStore(), None, batch_size=100)  # type: ignore[arg-type]
    tracemalloc.start()
    try:
        result = service.import_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, result


def test_memory_does_not_grow_with_file_size(tmp_path: Path) -> None:
    # Both files are many batches long (batch_size=100), so what is measured is the
    # steady state: it must not depend on how many batches there are.
    small_peak, small = _peak_bytes(1_000, tmp_path)
    large_peak, large = _peak_bytes(8_000, tmp_path)

    assert small.imported + small.rejected_total == 1_000
    assert large.imported + large.rejected_total == 8_000
    # Eight times the rows; the peak stays about the same (a list would grow 8x).
    assert large_peak < small_peak * 1.5, (small_peak, large_peak)


def test_result_to_json_round_trips_through_json(service: EndpointImportService) -> None:
    result = service.import_file(FIXTURES / "customers.csv")
    assert json.loads(json.dumps(result.to_json())) == result.to_json()


# -- the sample generator ---------------------------------------------------------------


def test_sample_customers_are_realistic_and_all_valid(boot: Bootstrap, tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    written = write_customers(path, 2_000, seed=11)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))

    assert written.rows == len(rows) == 2_000 and written.bad_rows == {}
    assert tuple(rows[0]) == WHITEPAPER_HEADER
    channels = Counter(row["ChannelType"] for row in rows)
    assert set(channels) == {"EMAIL", "SMS"} and channels["EMAIL"] > 0.7 * len(rows)
    assert 0 < sum(row["OptOut"] == "ALL" for row in rows) < 0.1 * len(rows)
    assert len({row["User.UserAttributes.Company"] for row in rows}) >= 5
    assert len({row["Location.Country"] for row in rows}) >= 5
    assert any("," in row["Attributes.Address"] for row in rows)  # quoting is exercised
    assert all(row["Address"].rsplit("@", 1)[-1].startswith("example.")
               for row in rows if row["ChannelType"] == "EMAIL")  # fmt: skip

    result = boot.import_service.import_file(path)
    # Every row valid (emails, E.164 numbers, time zones) and every address distinct.
    assert (result.imported, result.rejected_total) == (2_000, 0)


def test_sample_bad_rows_are_where_the_generator_says(boot: Bootstrap, tmp_path: Path) -> None:
    written = write_customers(tmp_path / "bad.csv", 600, seed=2, bad_rows=6)
    result = boot.import_service.import_file(written.path)

    assert len(written.bad_rows) == 6
    assert set(written.bad_rows.values()) == {"Address", "Demographic.Timezone"}
    assert _problems(result) == sorted(written.bad_rows.items())
    assert result.imported == 594
