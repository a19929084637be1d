"""Recognising and scrubbing a person (clarion.domain.audience.erasure)."""

from __future__ import annotations

from clarion.domain.audience.erasure import ErasureSubject, erasure_token

PERSON = ErasureSubject.of(["ep-1", "ep-1", ""], ["u-1"], ["zoe@example.com"])


def test_ids_match_whole_and_addresses_anywhere() -> None:
    assert PERSON.endpoint_ids == ("ep-1",)
    assert PERSON.matches('{"endpoint_id": "ep-1"}')
    assert PERSON.matches("ep-1,0.9")
    assert not PERSON.matches("ep-10,0.9")
    assert not PERSON.matches("rep-1")
    assert PERSON.matches("To: Zoë <zoe@example.com>")


def test_scrub_drops_their_entries_and_tokenises_their_values() -> None:
    token = erasure_token()
    document = {
        "ids": ["ep-1", "ep-2"],
        "by_id": {"ep-1": 3, "ep-2": 4},
        "rows": [{"Id": "ep-1", "n": 1}, {"Id": "ep-2", "n": 2}],
        "note": "sent to zoe@example.com",
    }
    assert PERSON.scrub(document, token) == {
        "ids": ["ep-2"],
        "by_id": {"ep-2": 4},
        "rows": [{"Id": "ep-2", "n": 2}],
        "note": f"sent to {token}",
    }


def test_tokens_are_random_and_carry_nothing() -> None:
    first, second = erasure_token(), erasure_token()
    assert first != second and first.startswith("erased-")
