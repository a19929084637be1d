"""Social-sentiment triggers: ingest posts, score them, match their authors, apply rules.

For each batch of posts (docs/sentiment.md has the whole flow):

1. duplicates go: the same (platform, post id) twice in the batch, or already claimed in
   the dedupe store, is reported ``DUPLICATE`` and has no effect;
2. the rest are scored through the ``SentimentAnalyzer`` port, in batches;
3. authors are matched to endpoints by their handle in a user attribute (``matching`` in
   the rules file); unmatched authors are kept as prospects;
4. the rules are evaluated on each post (pure, ``clarion.domain.sentiment``);
5. effects: endpoint attributes and metrics (SocialSentiment, Influencer, ...), a
   ``_social.post`` event for every scored post, ``_social.follow_up`` events, and
   triggered messages sent through the transactional send path (MessageService: opt-outs
   and idempotency by TraceId) after the quiet-time and per-author limit checks here,
   each with a ``_campaign.send`` record.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from clarion.domain.audience.endpoint import (
    PUSH_CHANNELS,
    ChannelType,
    Endpoint,
    merge_endpoint,
)
from clarion.domain.audience.endpoint import validate_endpoint as _validate_endpoint
from clarion.domain.campaigns.channel_messages import campaign_send_event
from clarion.domain.campaigns.model import QuietTime
from clarion.domain.campaigns.quiet_time import quiet_time_until
from clarion.domain.common.errors import FieldProblem, InvalidRecordError
from clarion.domain.common.json_input import MAX_JSON_DEPTH, json_depth
from clarion.domain.events.records import (
    EventRecord,
    Reject,
    make_event_id,
    string_attributes,
)
from clarion.domain.messaging.delivery import message_id_for
from clarion.domain.messaging.direct import PUSH_MESSAGE_KEYS
from clarion.domain.messaging.ledger import SEND_STATUS, cap_day, to_ms
from clarion.domain.sentiment.attributes import (
    ATTR_CHURN_FLAG,
    ATTR_FOLLOW_UP,
    ATTR_INFLUENCER,
    ATTR_PLATFORM,
    ATTR_SENTIMENT,
    CHURN_FLAG_VALUE,
    METRIC_FOLLOWERS,
    METRIC_NEGATIVES,
    METRIC_SCORE,
    SOCIAL_CAMPAIGN_PREFIX,
    SOCIAL_FOLLOW_UP_EVENT,
    SOCIAL_POST_EVENT,
)
from clarion.domain.sentiment.authors import (
    AUTHOR_LIMIT_CAMPAIGN,
    AuthorActivity,
    Prospect,
    limit_key,
    within_author_limit,
)
from clarion.domain.sentiment.posts import SocialPost, parse_post_lines
from clarion.domain.sentiment.rules import (
    MessageAction,
    PostFacts,
    Rule,
    RuleSet,
    evaluate,
    is_influencer,
    parse_rules,
)
from clarion.domain.sentiment.scores import PostText, Sentiment, SentimentResult
from clarion.ports.analytics import AnalyticsQuery
from clarion.ports.audience import ProfileStore
from clarion.ports.events import DeadLetterSink, EventSink
from clarion.ports.messaging import SendLedger
from clarion.ports.sentiment import (
    HandleLookup,
    PostDedupeStore,
    SentimentAnalyzer,
    SocialAuthorStore,
)
from clarion.resources import read_text
from clarion.services.messaging.governor import MessageGovernor
from clarion.services.messaging.transactional import MessageService

SCORE_BATCH_SIZE = 100
CLAIM_LEASE_MS = 15 * 60 * 1000
_DAY_MS = 86_400_000

# Template type key of Pinpoint's TemplateConfiguration, per endpoint channel.
_TEMPLATE_KEYS = {ChannelType.EMAIL: "EmailTemplate", ChannelType.SMS: "SMSTemplate"}
_TEMPLATE_KEYS.update(dict.fromkeys(PUSH_MESSAGE_KEYS, "PushTemplate"))
_TEMPLATE_KEYS[ChannelType.VOICE] = "VoiceTemplate"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ActionTaken:
    """One effect of one rule on one post."""

    rule: str
    action: str  # message, follow_up, attributes, churn_flag
    status: str  # SENT, OPT_OUT, QUIET_TIME, AUTHOR_LIMIT, DUPLICATE, APPLIED, ...
    endpoint_id: str | None = None
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"rule": self.rule, "action": self.action, "status": self.status}
        if self.endpoint_id:
            data["endpoint_id"] = self.endpoint_id
        if self.detail:
            data["detail"] = self.detail
        return data


@dataclass
class PostOutcome:
    """What became of one post: ``SCORED``, ``DUPLICATE``, ``REJECTED`` or ``FAILED``."""

    key: str
    status: str
    post: SocialPost | None = None
    result: SentimentResult | None = None
    endpoint_ids: list[str] = field(default_factory=list)
    rules_fired: list[str] = field(default_factory=list)
    actions: list[ActionTaken] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"post": self.key, "status": self.status}
        if self.post is not None and self.post.warnings:
            data["warnings"] = self.post.warnings
        if self.post is not None:
            data["author"] = self.post.author_handle
            data["platform"] = self.post.platform
        if self.result is not None:
            data.update(
                {
                    "sentiment": self.result.sentiment.value,
                    "scores": self.result.score.to_json(),
                    "language": self.result.language,
                    "mentions": list(self.result.mentions),
                }
            )
            if self.result.note:
                data["note"] = self.result.note
        if self.status == "SCORED":
            data["matched_endpoints"] = self.endpoint_ids
            data["author_kind"] = "customer" if self.endpoint_ids else "prospect"
            data["rules_fired"] = self.rules_fired
            data["actions"] = [a.to_json() for a in self.actions]
        if self.problems:
            data["problems"] = self.problems
        return data


@dataclass
class SentimentRun:
    """The outcome of one ingest: one PostOutcome per input post (rejects included)."""

    outcomes: list[PostOutcome]
    dead_letters: str | None = None

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def summary(self) -> dict[str, int]:
        return {s: self.count(s) for s in ("SCORED", "DUPLICATE", "REJECTED", "FAILED")}


@dataclass
class _Work:
    post: SocialPost
    outcome: PostOutcome
    result: SentimentResult | None = None
    endpoints: list[Endpoint] = field(default_factory=list)
    negatives: dict[str, int] = field(default_factory=dict)
    outreach: list[str] = field(default_factory=list)


class SentimentService:
    """Social posts in, sentiment-triggered effects out.

    Parameters
    ----------
    analyzer, lookup
        Scoring, and author handle → endpoint ids.
    profiles
        Endpoints to read and update.
    dedupe, authors
        Which posts were processed; authors' negative posts and prospects.
    events
        Where ``_social.post``, ``_social.follow_up`` and ``_campaign.send`` records go.
    messages, ledger
        The transactional send path (opt-outs, idempotency by TraceId), and the send
        ledger that counts triggered messages per author and day.
    rules
        The trigger rules.
    analytics
        For :meth:`report` (the ``events`` relation).
    dead_letters
        Where rejected posts are kept, with the reasons.
    """

    def __init__(
        self,
        analyzer: SentimentAnalyzer,
        lookup: HandleLookup,
        profiles: ProfileStore,
        dedupe: PostDedupeStore,
        authors: SocialAuthorStore,
        events: EventSink,
        messages: MessageService,
        ledger: SendLedger,
        rules: RuleSet,
        *,
        analytics: AnalyticsQuery | None = None,
        dead_letters: DeadLetterSink | None = None,
        app_id: str = "clarion",
        clock: Callable[[], datetime] = _utc_now,
        batch_size: int = SCORE_BATCH_SIZE,
        governor: MessageGovernor | None = None,
    ) -> None:
        # The project's caps: a trigger's message counts with campaigns' and journeys'.
        self._governor = governor
        self._analyzer = analyzer
        self._lookup = lookup
        self._profiles = profiles
        self._dedupe = dedupe
        self._authors = authors
        self._events = events
        self._messages = messages
        self._ledger = ledger
        self.rules = rules
        self._analytics = analytics
        self._dead_letters = dead_letters
        self._app_id = app_id
        self._clock = clock
        self._batch_size = batch_size

    # -- ingestion ---------------------------------------------------------------------

    def ingest_lines(self, lines: Iterable[str | bytes], *, origin: str = "file") -> SentimentRun:
        """Parse JSON lines of posts, reject the malformed ones with reasons, process the
        rest."""
        posts, rejects = parse_post_lines(lines)
        return self.process(posts, rejects=rejects, origin=origin)

    def process(
        self,
        posts: Sequence[SocialPost],
        *,
        rejects: Sequence[Reject] = (),
        origin: str = "api",
    ) -> SentimentRun:
        """Process valid posts (and report ``rejects``). See the module docstring.

        Posts whose effects fail are reported ``FAILED`` and released in the dedupe
        store, so a retry processes them; the others are completed.
        """
        now = self._clock()
        outcomes = [
            PostOutcome(
                r.record_id or f"#{r.index}", "REJECTED", problems=[str(p) for p in r.problems]
            )
            for r in rejects
        ]
        dead = (
            self._dead_letters.put_rejects(list(rejects), origin=origin)
            if (rejects and self._dead_letters is not None)
            else None
        )
        work: list[_Work] = []
        seen: set[str] = set()
        for post in posts:
            if post.key in seen:
                outcomes.append(
                    PostOutcome(post.key, "DUPLICATE", post, problems=["in this batch"])
                )
                continue
            seen.add(post.key)
            work.append(_Work(post, PostOutcome(post.key, "SCORED", post)))
        claimed = self._dedupe.claim([w.post.key for w in work], to_ms(now), CLAIM_LEASE_MS)
        fresh = []
        for item in work:
            if item.post.key in claimed:
                fresh.append(item)
            else:
                item.outcome.status = "DUPLICATE"
                item.outcome.problems = ["already processed"]
        fresh.sort(key=lambda w: (w.post.created_at, w.post.key))
        try:
            self._score(fresh)
            self._match(fresh)
            self._history(fresh)
            events, updates = self._apply(fresh, now)
            self._write_endpoints(updates)
            self._record_authors(fresh)
            if events:
                self._events.put_records(events)
        except Exception:
            self._dedupe.release([w.post.key for w in fresh])
            raise
        failed = [w.post.key for w in fresh if w.outcome.status == "FAILED"]
        if failed:
            self._dedupe.release(failed)
        self._dedupe.complete(
            [w.post.key for w in fresh if w.outcome.status == "SCORED"], to_ms(now)
        )
        outcomes.extend(w.outcome for w in work)
        return SentimentRun(outcomes, dead)

    # -- steps -------------------------------------------------------------------------

    def _score(self, work: list[_Work]) -> None:
        for start in range(0, len(work), self._batch_size):
            chunk = work[start : start + self._batch_size]
            results = self._analyzer.analyze(
                [PostText(w.post.text, w.post.language) for w in chunk]
            )
            if len(results) != len(chunk):
                raise RuntimeError("the sentiment analyser returned the wrong number of results")
            for item, result in zip(chunk, results, strict=True):
                item.result = item.outcome.result = result

    def _match(self, work: list[_Work]) -> None:
        by_attribute: dict[str, set[str]] = {}
        for item in work:
            attribute = self.rules.matching.attribute_for(item.post.platform)
            by_attribute.setdefault(attribute, set()).add(item.post.handle_key)
        ids: dict[tuple[str, str], list[str]] = {}
        for attribute, handles in by_attribute.items():
            found = self._lookup.endpoint_ids_by_handle(attribute, sorted(handles))
            for handle, endpoint_ids in found.items():
                ids[(attribute, handle)] = endpoint_ids
        wanted = sorted({i for endpoint_ids in ids.values() for i in endpoint_ids})
        endpoints = self._profiles.get_endpoints(wanted) if wanted else {}
        for item in work:
            attribute = self.rules.matching.attribute_for(item.post.platform)
            matched = ids.get((attribute, item.post.handle_key), [])
            item.endpoints = [endpoints[i] for i in matched if i in endpoints]
            item.outcome.endpoint_ids = [e.id for e in item.endpoints]

    def _history(self, work: list[_Work]) -> None:
        if not work:
            return
        window_ms = self.rules.history_days * _DAY_MS
        since = min(w.post.created_at for w in work) - window_ms
        stored = self._authors.negative_posts(sorted({w.post.author_key for w in work}), since)
        batch: dict[str, dict[str, int]] = {}
        for item in work:
            if item.result is not None and item.result.sentiment == Sentiment.NEGATIVE:
                batch.setdefault(item.post.author_key, {})[item.post.key] = item.post.created_at
        for item in work:
            key = item.post.author_key
            item.negatives = {**stored.get(key, {}), **batch.get(key, {})}

    def _apply(
        self, work: list[_Work], now: datetime
    ) -> tuple[list[EventRecord], dict[str, dict[str, Any]]]:
        events: list[EventRecord] = []
        updates: dict[str, dict[str, Any]] = {}
        sent_today: dict[str, int] = {}
        for item in work:
            try:
                events.extend(self._apply_one(item, now, updates, sent_today))
            except Exception as exc:  # one post's failure must not lose the batch
                item.outcome.status = "FAILED"
                item.outcome.problems = [f"{type(exc).__name__}: {exc}"]
        return events, updates

    def _apply_one(
        self,
        item: _Work,
        now: datetime,
        updates: dict[str, dict[str, Any]],
        sent_today: dict[str, int],
    ) -> list[EventRecord]:
        post, result = item.post, item.result
        assert result is not None
        is_customer = bool(item.endpoints)
        facts = PostFacts(post, result, is_customer, tuple(sorted(item.negatives.values())))
        fired = evaluate(self.rules, facts)
        item.outcome.rules_fired = [rule.name for rule in fired]
        events: list[EventRecord] = []
        negatives_30d = facts.negatives_within(self.rules.churn_window_days)
        patch_attributes: dict[str, list[str]] = {
            ATTR_SENTIMENT: [result.sentiment.value],
            ATTR_PLATFORM: [post.platform],
            ATTR_INFLUENCER: [
                "true" if is_influencer(self.rules, post.author_follower_count) else "false"
            ],
        }
        patch_metrics = {
            METRIC_SCORE: result.signed_score,
            METRIC_FOLLOWERS: float(post.author_follower_count),
            METRIC_NEGATIVES: float(negatives_30d),
        }
        for rule in fired:
            for action in rule.actions:
                if action.message is not None:
                    taken = self._message(item, rule, action.message, now, sent_today, events)
                    item.outcome.actions.append(taken)
                elif action.follow_up is not None:
                    queue = action.follow_up.queue
                    if is_customer:
                        patch_attributes[ATTR_FOLLOW_UP] = [queue]
                    events.append(self._follow_up_event(item, rule, queue))
                    item.outcome.actions.append(
                        ActionTaken(rule.name, "follow_up", "OPENED", detail=queue)
                    )
                elif action.attributes is not None:
                    if is_customer:
                        patch_attributes.update(action.attributes)
                    item.outcome.actions.append(
                        ActionTaken(
                            rule.name, "attributes", "APPLIED" if is_customer else "NO_ENDPOINT"
                        )
                    )
                elif action.churn_flag:
                    if is_customer:
                        patch_attributes[ATTR_CHURN_FLAG] = [CHURN_FLAG_VALUE]
                    item.outcome.actions.append(
                        ActionTaken(
                            rule.name, "churn_flag", "FLAGGED" if is_customer else "NO_ENDPOINT"
                        )
                    )
        for endpoint in item.endpoints:
            patch = updates.setdefault(endpoint.id, {"Attributes": {}, "Metrics": {}})
            patch["Attributes"].update(patch_attributes)
            patch["Metrics"].update(patch_metrics)
        events.append(self._post_event(item, fired, now))
        return events

    def _message(
        self,
        item: _Work,
        rule: Rule,
        action: MessageAction,
        now: datetime,
        sent_today: dict[str, int],
        events: list[EventRecord],
    ) -> ActionTaken:
        post = item.post
        if not item.endpoints:
            item.outreach.append(rule.name)
            return ActionTaken(rule.name, "message", "PROSPECT_NO_ENDPOINT", detail=action.template)
        candidates = [e for e in item.endpoints if _channel_name(e) in action.channels]
        candidates.sort(key=lambda e: action.channels.index(_channel_name(e)))
        if not candidates:
            return ActionTaken(rule.name, "message", "NO_CHANNEL", detail=action.template)
        campaign_id = f"{SOCIAL_CAMPAIGN_PREFIX}{rule.name}"
        run_id = f"{SOCIAL_CAMPAIGN_PREFIX}{message_id_for(post.key)}"

        def record(endpoint: Endpoint, status: str, message_id: str | None = None) -> None:
            events.append(
                campaign_send_event(
                    app_id=self._app_id,
                    campaign_id=campaign_id,
                    run_id=run_id,
                    treatment_id=None,
                    endpoint=endpoint,
                    endpoint_id=endpoint.id,
                    status=status,
                    now=now,
                    message_id=message_id,
                )
            )

        eligible = [e for e in candidates if not e.is_opted_out and e.is_active and e.address]
        if not eligible:
            opted = [e for e in candidates if e.is_opted_out]
            for endpoint in opted:
                record(endpoint, "OPT_OUT")
            status = "OPT_OUT" if opted else "NO_ACTIVE_ENDPOINT"
            return ActionTaken(rule.name, "message", status, candidates[0].id, action.template)
        endpoint = eligible[0]
        quiet = self.rules.quiet_time
        if quiet is not None:
            zone = endpoint.demographic.timezone if endpoint.demographic else None
            until = quiet_time_until(
                QuietTime(start=quiet.start, end=quiet.end), now, zone, quiet.timezone
            )
            if until is not None:
                record(endpoint, "QUIET_TIME")
                return ActionTaken(
                    rule.name,
                    "message",
                    "QUIET_TIME",
                    endpoint.id,
                    f"quiet until {until.isoformat()}",
                )
        counted = limit_key(endpoint.user_id, post.author_key)
        day = cap_day(now)
        if counted not in sent_today:
            counts = self._ledger.cap_counts(AUTHOR_LIMIT_CAMPAIGN, [counted], day)
            sent_today[counted] = counts[counted].daily if counted in counts else 0
        if not within_author_limit(sent_today[counted], self.rules.author_limit):
            record(endpoint, "DAILY_CAP")
            return ActionTaken(rule.name, "message", "AUTHOR_LIMIT", endpoint.id, action.template)
        template_key = _TEMPLATE_KEYS.get(endpoint.channel_type or ChannelType.CUSTOM)
        if template_key is None:
            return ActionTaken(rule.name, "message", "NO_CHANNEL", endpoint.id, action.template)
        if self._governor is not None:
            capped = self._governor.admit([endpoint.id], now).get(endpoint.id)
            if capped is not None:
                record(endpoint, SEND_STATUS.get(capped, capped.value))
                return ActionTaken(rule.name, "message", capped.value, endpoint.id, action.template)
        substitutions = {
            **action.substitutions,
            "SocialPostId": [post.post_id],
            "SocialPlatform": [post.platform],
            "SocialHandle": [post.author_handle],
        }
        response = self._messages.send(
            {
                "Endpoints": {endpoint.id: {"Substitutions": substitutions}},
                "MessageConfiguration": {},
                "TemplateConfiguration": {template_key: {"Name": action.template}},
                "TraceId": f"{SOCIAL_CAMPAIGN_PREFIX}{post.key}#{rule.name}",
            }
        )
        result = response.get("EndpointResult", {}).get(endpoint.id, {})
        delivery = str(result.get("DeliveryStatus", "UNKNOWN_FAILURE"))
        message_id = result.get("MessageId")
        if delivery == "SUCCESSFUL":
            sent_today[counted] += 1
            self._ledger.add_sends(AUTHOR_LIMIT_CAMPAIGN, [counted], day)
            record(endpoint, "SUCCESS", message_id)
            return ActionTaken(rule.name, "message", "SENT", endpoint.id, action.template)
        if delivery != "DUPLICATE":
            record(endpoint, delivery)
        return ActionTaken(
            rule.name,
            "message",
            delivery,
            endpoint.id,
            result.get("StatusMessage") or action.template,
        )

    def _post_event(self, item: _Work, fired: Sequence[Rule], now: datetime) -> EventRecord:
        post, result = item.post, item.result
        assert result is not None
        endpoint_id = item.endpoints[0].id if item.endpoints else None
        attributes = string_attributes(
            [
                ("post_id", post.post_id),
                ("platform", post.platform),
                ("author_handle", post.handle_key),
                ("author_kind", "customer" if item.endpoints else "prospect"),
                ("sentiment", result.sentiment.value),
                ("language", result.language),
                ("hashtags", ",".join(post.hashtags) or None),
                ("mentions", ",".join(result.mentions) or None),
                ("in_reply_to", post.in_reply_to),
                ("rules_fired", ",".join(r.name for r in fired) or None),
                ("influencer", is_influencer(self.rules, post.author_follower_count)),
                ("note", result.note),
            ]
        )
        metrics = {
            "positive": round(result.score.positive, 4),
            "negative": round(result.score.negative, 4),
            "neutral": round(result.score.neutral, 4),
            "mixed": round(result.score.mixed, 4),
            "sentiment_score": result.signed_score,
            "follower_count": float(post.author_follower_count),
        }
        body: dict[str, Any] = {
            "event_type": SOCIAL_POST_EVENT,
            "event_timestamp": post.created_at,
            "arrival_timestamp": to_ms(now),
            "application": {"app_id": self._app_id, "sdk": {}},
            "client": {"client_id": endpoint_id} if endpoint_id else {},
            "attributes": attributes,
            "metrics": metrics,
            "event_id": make_event_id("social-post", post.key),
        }
        if endpoint_id:
            body["endpoint"] = {"Id": endpoint_id}
        return EventRecord.model_validate(body)

    def _follow_up_event(self, item: _Work, rule: Rule, queue: str) -> EventRecord:
        post = item.post
        endpoint_id = item.endpoints[0].id if item.endpoints else None
        stamp = to_ms(self._clock())
        body: dict[str, Any] = {
            "event_type": SOCIAL_FOLLOW_UP_EVENT,
            "event_timestamp": stamp,
            "arrival_timestamp": stamp,
            "application": {"app_id": self._app_id, "sdk": {}},
            "client": {"client_id": endpoint_id} if endpoint_id else {},
            "attributes": string_attributes(
                [
                    ("queue", queue),
                    ("rule", rule.name),
                    ("post_id", post.post_id),
                    ("platform", post.platform),
                    ("author_handle", post.handle_key),
                    ("text", post.text[:200]),
                ]
            ),
            "event_id": make_event_id("social-follow-up", post.key, rule.name),
        }
        return EventRecord.model_validate(body)

    def _write_endpoints(self, updates: Mapping[str, dict[str, Any]]) -> None:
        if not updates:
            return
        current = self._profiles.get_endpoints(sorted(updates))
        changed: list[Endpoint] = []
        for endpoint_id, patch in updates.items():
            endpoint = current.get(endpoint_id)
            if endpoint is None:
                continue
            merged = merge_endpoint(endpoint, patch)
            try:
                changed.append(_validate_endpoint(merged))
            except InvalidRecordError:
                # A rule's attribute broke an endpoint rule: keep the sentiment ones.
                base = {k: v for k, v in patch["Attributes"].items() if k in _OWN_ATTRIBUTES}
                merged = merge_endpoint(endpoint, {"Attributes": base, "Metrics": patch["Metrics"]})
                changed.append(_validate_endpoint(merged))
        self._profiles.put_endpoints(changed)

    def _record_authors(self, work: list[_Work]) -> None:
        activity = [
            AuthorActivity(
                author_key=w.post.author_key,
                platform=w.post.platform,
                handle=w.post.handle_key,
                follower_count=w.post.author_follower_count,
                post_key=w.post.key,
                post_ms=w.post.created_at,
                sentiment=w.result.sentiment,
                is_customer=bool(w.endpoints),
                endpoint_ids=tuple(e.id for e in w.endpoints),
                outreach=tuple(w.outreach),
            )
            for w in work
            if w.result is not None and w.outcome.status == "SCORED"
        ]
        self._authors.record(activity)

    # -- reading -----------------------------------------------------------------------

    def prospects(self, *, min_followers: int = 0, limit: int = 100) -> list[Prospect]:
        return self._authors.prospects(min_followers=min_followers, limit=limit)

    def report(self, *, top: int = 10, since_day: str | None = None) -> dict[str, Any]:
        """Counts by day, platform and sentiment; the most negative authors; influencers
        (authors at or over the rules' follower threshold), from ``_social.post`` events.
        """
        if self._analytics is None:
            raise RuntimeError("no analytics query is configured")
        params: dict[str, Any] = {"since": since_day or "0000-00-00", "top": top}
        counts = self._analytics.rows(REPORT_COUNTS_SQL, params)
        negative = self._analytics.rows(REPORT_NEGATIVE_AUTHORS_SQL, params)
        influencers = self._analytics.rows(
            REPORT_INFLUENCERS_SQL, {**params, "followers": self.rules.influencer_followers}
        )
        totals: dict[str, int] = {}
        for row in counts:
            totals[str(row["sentiment"])] = totals.get(str(row["sentiment"]), 0) + int(row["posts"])
        return {
            "by_sentiment": totals,
            "by_day_platform_sentiment": [
                {k: (int(v) if k == "posts" else str(v)) for k, v in row.items()} for row in counts
            ],
            "top_negative_authors": [_clean(row) for row in negative],
            "influencers": [_clean(row) for row in influencers],
            "prospects": [p.to_json() for p in self.prospects(limit=top)],
        }


_OWN_ATTRIBUTES = frozenset(
    {ATTR_SENTIMENT, ATTR_PLATFORM, ATTR_INFLUENCER, ATTR_CHURN_FLAG, ATTR_FOLLOW_UP}
)


def _channel_name(endpoint: Endpoint) -> str:
    channel = endpoint.channel_type
    if channel is None:
        return ""
    return "PUSH" if channel in PUSH_CHANNELS else channel.value


def _clean(row: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        out[key] = value
    return out


DEFAULT_RULES_RESOURCE = "default_sentiment_rules.yaml"


def load_rules(text: str, *, name: str = "rules") -> RuleSet:
    """Read a rules file (YAML, or JSON, which YAML reads too).

    Raises
    ------
    InvalidRecordError
        The file is not YAML, or breaks the rules model (``name`` prefixes the fields).
    """
    if _bracket_depth(text) > MAX_JSON_DEPTH:  # before PyYAML, which takes seconds on it
        raise InvalidRecordError([FieldProblem(name, f"nests deeper than {MAX_JSON_DEPTH} levels")])
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidRecordError([FieldProblem(name, f"is not YAML or JSON: {exc}")]) from None
    except RecursionError:  # PyYAML composes nested collections recursively
        data = None
        depth = MAX_JSON_DEPTH + 1
    else:
        depth = json_depth(data)
    if depth > MAX_JSON_DEPTH:
        raise InvalidRecordError([FieldProblem(name, f"nests deeper than {MAX_JSON_DEPTH} levels")])
    return parse_rules(data)


def _bracket_depth(text: str) -> int:
    """How deep the flow collections (``[`` and ``{``) of ``text`` nest, counting every
    bracket (one in a quoted string too: an over-estimate, which only a text with
    dozens of unclosed brackets in its strings could reach)."""
    depth = deepest = 0
    for char in re.sub(r"[^\[\]{}]+", "", text):
        depth = depth + 1 if char in "[{" else max(depth - 1, 0)
        deepest = max(deepest, depth)
    return deepest


def default_rules() -> RuleSet:
    """The rules shipped with Clarion (clarion/resources/rules/default_sentiment_rules.yaml)."""
    text = read_text(f"rules/{DEFAULT_RULES_RESOURCE}")
    return load_rules(text, name=DEFAULT_RULES_RESOURCE)


def since_day(days: int, now: datetime | None = None) -> str:
    """The UTC date ``days`` before now, as the report's ``since_day``."""
    return ((now or _utc_now()) - timedelta(days=days)).date().isoformat()


# Trino SQL over ``events`` (one text for Athena and, transpiled, DuckDB).
REPORT_COUNTS_SQL = """
SELECT dt AS day,
       element_at(attributes, 'platform') AS platform,
       element_at(attributes, 'sentiment') AS sentiment,
       count(DISTINCT event_id) AS posts
FROM events
WHERE event_type = '_social.post' AND dt >= :since
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
"""

REPORT_NEGATIVE_AUTHORS_SQL = """
SELECT element_at(attributes, 'platform') AS platform,
       element_at(attributes, 'author_handle') AS handle,
       max(endpoint_id) AS endpoint_id,
       count(DISTINCT event_id) AS negative_posts,
       min(element_at(metrics, 'sentiment_score')) AS lowest_score
FROM events
WHERE event_type = '_social.post' AND dt >= :since
  AND element_at(attributes, 'sentiment') = 'NEGATIVE'
GROUP BY 1, 2
ORDER BY negative_posts DESC, lowest_score, handle
LIMIT :top
"""

REPORT_INFLUENCERS_SQL = """
SELECT element_at(attributes, 'platform') AS platform,
       element_at(attributes, 'author_handle') AS handle,
       max(endpoint_id) AS endpoint_id,
       max(element_at(metrics, 'follower_count')) AS follower_count,
       count(DISTINCT event_id) AS posts,
       avg(element_at(metrics, 'sentiment_score')) AS average_score
FROM events
WHERE event_type = '_social.post' AND dt >= :since
  AND element_at(metrics, 'follower_count') >= :followers
GROUP BY 1, 2
ORDER BY follower_count DESC, handle
LIMIT :top
"""
