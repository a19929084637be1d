"""The posts stream's scoring: a whole batch of stream records through the sentiment
service in one call (so Comprehend sees posts 25 at a time, not one call a post), then
what became of each record.

- A record that is not a valid post is dead-lettered with the reasons and counts as
  processed (``REJECTED``: a retry would not fix it).
- A post already processed (same platform and post id: a replay, or the same post put
  twice) is skipped (``DUPLICATE``): the sentiment service claims each post in its
  dedupe store before any effect, and triggered sends are idempotent by TraceId.
- A post whose effects failed, or every post of a batch whose scoring failed
  (Comprehend throttled past the client's retries), is ``FAILED``: its claim is
  released, so the stream's retry processes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from clarion.domain.common.errors import InvalidRecordError
from clarion.domain.events.records import Reject
from clarion.domain.sentiment.posts import SocialPost, parse_post
from clarion.services.events.stream_record import StreamRecord
from clarion.services.sentiment.service import SentimentRun, SentimentService

# Outcomes of a stream record.
SCORED, DUPLICATE, REJECTED, FAILED = "SCORED", "DUPLICATE", "REJECTED", "FAILED"
STATUSES = (SCORED, DUPLICATE, REJECTED, FAILED)


@dataclass
class StreamScoring:
    """Each record's status by sequence number, the sentiment run (None when scoring
    the batch failed, with ``failure`` the error) and the rejected records."""

    statuses: dict[str, str]
    run: SentimentRun | None = None
    rejects: list[Reject] = field(default_factory=list)
    failure: Exception | None = None

    def failed(self) -> list[str]:
        """Sequence numbers of the records to retry."""
        return [sequence for sequence, status in self.statuses.items() if status == FAILED]


def decode_posts(records: Sequence[StreamRecord]) -> tuple[dict[str, SocialPost], list[Reject]]:
    """The valid posts by sequence number, and a reject for every other record."""
    posts: dict[str, SocialPost] = {}
    rejects: list[Reject] = []
    for index, record in enumerate(records):
        sequence = record.sequence_number
        data, problem = record.decode()
        if problem is not None:
            rejects.append(Reject("social", index, sequence, (problem,), record.raw))
            continue
        try:
            posts[sequence] = parse_post(data)
        except InvalidRecordError as exc:
            rejects.append(Reject("social", index, sequence, tuple(exc.problems), data))
    return posts, rejects


class PostStreamService:
    """Scores the posts stream's batches (module docstring).

    Parameters
    ----------
    sentiment
        The sentiment service (scoring, author matching, rules and their effects).
    """

    def __init__(self, sentiment: SentimentService) -> None:
        self._sentiment = sentiment

    def score(self, records: Sequence[StreamRecord]) -> StreamScoring:
        """Process every post of the batch at once; never raises for the posts (a
        failure makes them ``FAILED``)."""
        posts, rejects = decode_posts(records)
        statuses = {str(r.record_id): REJECTED for r in rejects}
        try:
            run = self._sentiment.process(list(posts.values()), rejects=rejects, origin="kinesis")
        except Exception as exc:  # any failure: every post is retried
            statuses.update(dict.fromkeys(posts, FAILED))
            return StreamScoring(statuses, None, rejects, exc)
        by_key: dict[str, str] = {}
        for outcome in run.outcomes:
            if outcome.status != REJECTED and "in this batch" not in outcome.problems:
                by_key[outcome.key] = outcome.status
        for sequence, post in posts.items():
            statuses[sequence] = by_key.get(post.key, FAILED)
        return StreamScoring(statuses, run, rejects)
