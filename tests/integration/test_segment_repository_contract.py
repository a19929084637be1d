"""The SegmentRepository contract: every backend behaves the same way."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from clarion.domain.common.errors import NotFoundError

# The ``segments`` fixture (tests/integration/conftest.py) is a SegmentBackend.
SegmentBackend = Any


def _segment(segment_id: str, version: int, **fields: Any) -> dict[str, Any]:
    return {
        "Id": segment_id,
        "Version": version,
        "Name": f"{segment_id} v{version}",
        "SegmentType": "DIMENSIONAL",
        "Dimensions": {"Demographic": {"Platform": {"Values": ["ios"]}}},
        "CreationDate": "2024-05-01T10:00:00.000Z",
        **fields,
    }


def test_saved_segment_reads_back(segments: SegmentBackend):
    segment = _segment("seg-1", 1, tags={"Zoë": "ünïcode"})
    segments.repository.save_segment(segment)

    assert segments.repository.get_segment("seg-1") == segment
    assert segments.repository.get_segment("seg-1", 1) == segment


def test_versions_are_kept_and_latest_is_the_highest(segments: SegmentBackend):
    repository = segments.repository
    v1, v2, v3 = (_segment("seg-1", v, Name=f"name {v}") for v in (1, 2, 3))
    repository.save_segment(v1)
    repository.save_segment(v3)
    # An older version saved late (say, a retried write) does not become the latest.
    repository.save_segment(v2)

    assert repository.get_segment("seg-1") == v3
    assert [repository.get_segment("seg-1", v)["Name"] for v in (1, 2, 3)] == [
        "name 1",
        "name 2",
        "name 3",
    ]


def test_saving_a_version_again_replaces_it(segments: SegmentBackend):
    segments.repository.save_segment(_segment("seg-1", 1, Name="first"))
    segments.repository.save_segment(_segment("seg-1", 1, Name="corrected"))

    assert segments.repository.get_segment("seg-1")["Name"] == "corrected"
    assert segments.repository.get_segment("seg-1", 1)["Name"] == "corrected"


def test_versions_past_nine_order_numerically(segments: SegmentBackend):
    for version in (9, 10, 2):
        segments.repository.save_segment(_segment("seg-1", version))

    assert segments.repository.get_segment("seg-1")["Version"] == 10


def test_unknown_segment_or_version(segments: SegmentBackend):
    segments.repository.save_segment(_segment("seg-1", 1))

    with pytest.raises(NotFoundError, match="missing"):
        segments.repository.get_segment("missing")
    with pytest.raises(NotFoundError, match="seg-1"):
        segments.repository.get_segment("seg-1", 2)


def test_a_segment_needs_an_id_and_a_version(segments: SegmentBackend):
    with pytest.raises(ValueError, match="Id"):
        segments.repository.save_segment({"Version": 1, "Name": "no id"})
    with pytest.raises(ValueError, match="Version"):
        segments.repository.save_segment({"Id": "seg-1", "Name": "no version"})
    assert segments.repository.list_segments() == []


def test_list_gives_the_latest_of_each(segments: SegmentBackend):
    repository = segments.repository
    assert repository.list_segments() == []
    repository.save_segment(_segment("b", 1))
    repository.save_segment(_segment("b", 2))
    repository.save_segment(_segment("a", 1))
    repository.save_segment(_segment("c", 4))

    listed = repository.list_segments()

    assert [(s["Id"], s["Version"]) for s in listed] == [("a", 1), ("b", 2), ("c", 4)]
    assert listed[1] == _segment("b", 2)


def test_imported_members(segments: SegmentBackend):
    repository = segments.repository

    def generated() -> Iterator[str]:
        yield from (f"e-{n:04d}" for n in range(1500))

    assert repository.put_imported_members("imp-1", generated()) == 1500
    assert repository.put_imported_members("imp-1", ["late-1", "late-2"]) == 2
    assert repository.put_imported_members("imp-2", ["other"]) == 1
    assert repository.put_imported_members("imp-3", []) == 0

    assert segments.imported_members("imp-1") == sorted(
        [*(f"e-{n:04d}" for n in range(1500)), "late-1", "late-2"]
    )
    assert segments.imported_members("imp-2") == ["other"]
    assert segments.imported_members("imp-3") == []


def test_imported_members_repeated_in_one_call_count_once(segments: SegmentBackend):
    written = segments.repository.put_imported_members("imp-1", ["a", "b", "a", "c", "b"])

    assert written == 3
    assert segments.imported_members("imp-1") == ["a", "b", "c"]


def test_imported_member_ids_are_kept_exactly(segments: SegmentBackend):
    awkward = ["with,comma", 'with"quote', "  spaced  ", "Ünïcode", "UPPER", "upper"]
    segments.repository.put_imported_members("imp-1", awkward)

    assert segments.imported_members("imp-1") == sorted(awkward)
