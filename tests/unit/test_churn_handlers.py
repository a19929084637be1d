"""The churn Lambda handlers: each parses its event with its Parser model and makes one
churn service call with what it parsed; a malformed event is refused before any call.
(The state machines run them for real in tests/statemachines.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from types import ModuleType
from typing import Any

import pytest

from clarion.domain.common.errors import InvalidRecordError
from lambdas._runtime import LazyBootstrap
from lambdas.churn_evaluate import handler as evaluate
from lambdas.churn_features import handler as features
from lambdas.churn_jobs import handler as jobs
from lambdas.churn_refresh_segment import handler as segment
from lambdas.churn_write_scores import handler as write_scores

# A refused event publishes no metrics, which Powertools warns about.
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")


@dataclass
class Context:
    function_name: str = "clarion-churn-test"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:clarion-churn"
    aws_request_id: str = "00000000-0000-4000-8000-000000000001"


@dataclass
class Recorder:
    """Stands in for a service: records each call and answers with ``answer``."""

    answer: dict[str, Any]
    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> dict[str, Any]:
            self.calls.append((name, args, kwargs))
            return self.answer

        return call


@dataclass
class FakeBootstrap:
    churn_pipeline: Recorder
    churn_service: Recorder


def _install(
    monkeypatch: pytest.MonkeyPatch, module: ModuleType, answer: dict[str, Any]
) -> FakeBootstrap:
    boot = FakeBootstrap(Recorder(answer), Recorder(answer))
    monkeypatch.setattr(module, "bootstrap", LazyBootstrap(boot))  # type: ignore[arg-type]
    return boot


def _calls(boot: FakeBootstrap) -> list[tuple[str, tuple[Any, ...], dict[str, Any]]]:
    return boot.churn_pipeline.calls + boot.churn_service.calls


def test_the_query_starts_at_the_given_date_or_the_execution_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    boot = _install(monkeypatch, features, {"query_execution_id": "q-1", "as_of": "x"})

    answer = features.handler(
        {"action": "start", "splits": ["train", "eval"], "as_of": "2026-11-05"}, Context()
    )
    features.handler(
        {"action": "start", "as_of": "", "execution_start": "2026-12-02T23:30:00.5-02:00"},
        Context(),
    )

    assert answer == {"query_execution_id": "q-1", "as_of": "x"}
    assert _calls(boot) == [
        ("start_features_query", (date(2026, 11, 5), ["train", "eval"]), {}),
        # Without an as-of date: the UTC date the execution started; the score split.
        ("start_features_query", (date(2026, 12, 3), ["score"]), {}),
    ]


def test_the_prepare_actions_name_the_run_and_the_query(monkeypatch: pytest.MonkeyPatch) -> None:
    boot = _install(
        monkeypatch, features, {"rows": 3, "skip": True, "train_rows": 1, "eval_rows": 1}
    )

    for action in ("prepare_scoring", "prepare_training"):
        features.handler(
            {"action": action, "run_id": "r-1", "query_execution_id": "q-1", "extra": 1}, Context()
        )

    assert _calls(boot) == [
        ("prepare_scoring", ("r-1", "q-1"), {}),
        ("prepare_training", ("r-1", "q-1"), {}),
    ]


@pytest.mark.parametrize(
    "event",
    [
        {"action": "begin"},
        {"action": "start", "splits": ["holdout"]},
        {"action": "prepare_scoring", "run_id": "r-1"},
        {"action": "prepare_training", "run_id": "", "query_execution_id": "q"},
    ],
)
def test_a_malformed_features_event_is_refused(
    monkeypatch: pytest.MonkeyPatch, event: dict[str, Any]
) -> None:
    boot = _install(monkeypatch, features, {})

    with pytest.raises(InvalidRecordError):
        features.handler(event, Context())
    assert _calls(boot) == []


def test_each_jobs_action_is_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    boot = _install(monkeypatch, jobs, {"jobs": {"model": {}}, "failed_jobs": []})

    for event in (
        {
            "action": "start_training",
            "job_name": "t",
            "train_uri": "s3://t",
            "output_uri": "s3://o",
        },
        {
            "action": "start_transform",
            "job_name": "s",
            "model_uri": "s3://m",
            "input_uri": "s3://i",
            "output_uri": "s3://o",
        },
        {
            "action": "start_evaluation",
            "job_name": "e",
            "candidate_uri": "s3://c",
            "input_uri": "s3://i",
            "output_prefix": "s3://p",
        },
        {"action": "status", "jobs": {"model": {"job_name": "e-cand", "output_uri": "s3://x"}}},
    ):
        jobs.handler(event, Context())

    assert _calls(boot) == [
        ("start_training", ("t", "s3://t", "s3://o", None), {}),
        ("start_transform", ("s", "s3://m", "s3://i", "s3://o"), {}),
        ("start_evaluation", ("e", "s3://c", "s3://i", "s3://p", ""), {}),
        ("evaluation_status", ({"model": "e-cand"},), {}),
    ]


def test_a_status_without_job_names_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    boot = _install(monkeypatch, jobs, {})

    with pytest.raises(InvalidRecordError):
        jobs.handler({"action": "status", "jobs": {"model": {"output_uri": "s3://x"}}}, Context())
    assert _calls(boot) == []


def test_the_evaluation_passes_each_output(monkeypatch: pytest.MonkeyPatch) -> None:
    boot = _install(monkeypatch, evaluate, {"promoted": True, "model_id": "m"})
    event = {
        "model_id": "churn-train-r1",
        "as_of": "2026-11-05",
        "candidate_uri": "s3://b/model.tar.gz",
        "features_uri": "s3://b/athena-results/q.csv",
        "features": ["days_since_last_activity", "btyd_frequency"],
        "jobs": {
            "model": {"job_name": "a", "output_uri": "s3://b/model/eval.csv.out"},
            "current": {
                "job_name": "b",
                "output_uri": "s3://b/current/eval.csv.out",
                "model_id": "x",
            },
        },
    }

    assert evaluate.handler(event, Context()) == {"promoted": True, "model_id": "m"}
    assert _calls(boot) == [
        (
            "evaluate_candidate",
            (
                "churn-train-r1",
                "2026-11-05",
                "s3://b/model.tar.gz",
                "s3://b/athena-results/q.csv",
                ["days_since_last_activity", "btyd_frequency"],
                {"model": "s3://b/model/eval.csv.out", "current": "s3://b/current/eval.csv.out"},
            ),
            {},
        )
    ]


def test_the_write_loop_pages_from_its_offset(monkeypatch: pytest.MonkeyPatch) -> None:
    boot = _install(monkeypatch, write_scores, {"written": 7, "total": 20, "next_offset": 14})

    write_scores.handler({"scores_uri": "s3://b/out", "offset": 7}, Context())
    write_scores.handler({"scores_uri": "s3://b/out", "offset": 0, "limit": 3}, Context())
    with pytest.raises(InvalidRecordError) as refused:
        write_scores.handler({"scores_uri": "s3://b/out", "offset": -1}, Context())
    assert [p.field for p in refused.value.problems] == ["offset"]

    assert _calls(boot) == [
        ("write_scores_page", ("s3://b/out", 7, None), {}),
        ("write_scores_page", ("s3://b/out", 0, 3), {}),
    ]


def test_the_segment_is_refreshed_unless_a_launch_is_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    boot = _install(monkeypatch, segment, {"segment_id": "s", "campaign_id": "c", "run_id": "r"})

    segment.handler({}, Context())
    segment.handler({"action": "launch"}, Context())
    with pytest.raises(InvalidRecordError):
        segment.handler({"action": "delete"}, Context())

    assert _calls(boot) == [
        ("refresh_segment", (), {"count": False}),
        ("launch_retention", (), {}),
    ]


def test_now_is_only_the_last_resort_for_the_as_of_date() -> None:
    event = features.StartQuery(action="start")

    assert event.as_of_date() == datetime.now(UTC).date()
