"""The retention campaign: launched to the churn segment with a holdout, and its uplift
(retention of the treated group against the holdout over the window after the launch).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from clarion.domain.churn.model import ChurnConfig, day_start, epoch_ms
from clarion.domain.churn.requests import retention_campaign_request, retention_template_request
from clarion.domain.churn.uplift import retention_uplift
from clarion.domain.common.errors import NotFoundError
from clarion.ports.analytics import AnalyticsQuery
from clarion.ports.churn import ChurnModelStore
from clarion.services.churn.history import ChurnHistory, SimulationUnavailableError
from clarion.services.churn.scoring import ChurnScoring
from clarion.services.churn.shared import CAMPAIGN_DOC, iso, sql_source, utc_now

RETENTION_SMS_BODY = "We miss you! 20% off your next order, this week only."


class CampaignLauncher(Protocol):
    """What the churn service needs from the campaign engine (:class:`EngineLauncher`
    gives it over CampaignService and TemplateService)."""

    def ensure_templates(self) -> list[str]:
        """Create the retention templates that are missing; returns ``KIND:name`` of
        each one made."""
        ...

    def create_and_launch(self, request: Mapping[str, Any], now: datetime) -> tuple[str, str]:
        """Create the campaign and launch it at ``now``; returns the campaign and run ids."""
        ...


class EngineLauncher:
    """CampaignLauncher over the campaign engine's services, built on first use (the
    scoring steps never need them).

    Parameters
    ----------
    campaigns
        Makes the CampaignService.
    templates
        Makes the TemplateService.
    """

    def __init__(self, campaigns: Callable[[], Any], templates: Callable[[], Any]) -> None:
        self._make_campaigns = campaigns
        self._make_templates = templates

    def ensure_templates(self) -> list[str]:
        """Create the retention email and SMS templates unless they exist."""
        templates = self._make_templates()
        body = retention_template_request()
        name = str(body["TemplateName"])
        made = []
        for kind, key, request in (
            ("EMAIL", "EmailTemplateRequest", body["EmailTemplateRequest"]),
            ("SMS", "SMSTemplateRequest", {"Body": RETENTION_SMS_BODY}),
        ):
            try:
                templates.get(name, kind)
            except NotFoundError:
                templates.create({"TemplateName": name, key: request})
                made.append(f"{kind}:{name}")
        return made

    def create_and_launch(self, request: Mapping[str, Any], now: datetime) -> tuple[str, str]:
        campaigns = self._make_campaigns()
        campaign = campaigns.create_campaign(request)
        run_id = campaigns.launch(campaign["Id"], now=now)
        return str(campaign["Id"]), str(run_id)


class RetentionCampaigns:
    """Launch the retention campaign and measure its uplift.

    Parameters
    ----------
    models
        Keeps the latest launch (the ``retention-campaign`` document).
    analytics
        Runs the retention SQL.
    scoring
        Keeps the churn segment the campaign goes to.
    config
        The campaign's name and holdout, and the window.
    launcher
        The campaign engine.
    history
        Plays out the simulated response (simulated histories only).
    """

    def __init__(
        self,
        models: ChurnModelStore,
        analytics: AnalyticsQuery,
        scoring: ChurnScoring,
        config: ChurnConfig,
        *,
        launcher: CampaignLauncher | None = None,
        history: ChurnHistory | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._models = models
        self._analytics = analytics
        self._scoring = scoring
        self._config = config
        self._launcher = launcher
        self._history = history
        self._clock = clock

    def launch_retention(
        self, as_of: date | None = None, *, simulate_response: bool = False
    ) -> dict[str, Any]:
        """Launch the retention campaign to the churn segment with a holdout, at
        ``as_of`` (default: now). With ``simulate_response`` and a simulated history,
        the simulator then plays out the following window, treated customers' engagement
        lifted by the message, so the report has an uplift to measure.

        Raises
        ------
        RuntimeError
            No campaign engine is configured.
        SimulationUnavailableError
            ``simulate_response`` where there is no behaviour simulator (AWS).
        NotFoundError
            ``simulate_response`` and the history is not simulated.
        """
        if self._launcher is None:
            raise RuntimeError("no campaign engine configured")
        if simulate_response:
            # Refused before anything is sent where the response cannot be played out.
            if self._history is None:
                raise SimulationUnavailableError()
            self._history.simulator()
        moment = day_start(as_of) if as_of else self._clock()
        segment = self._scoring.refresh_segment(count=False)
        self._launcher.ensure_templates()
        request = retention_campaign_request(
            f"{self._config.campaign_name}-{moment:%Y%m%d}",
            segment["segment_id"],
            self._config.holdout_percent,
        )
        request["TemplateConfiguration"]["SMSTemplate"] = {
            "Name": request["TemplateConfiguration"]["EmailTemplate"]["Name"]
        }
        campaign_id, run_id = self._launcher.create_and_launch(request, moment)
        document = {
            "campaign_id": campaign_id,
            "run_id": run_id,
            "segment_id": segment["segment_id"],
            "launched_at": iso(moment),
            "window_days": self._config.label_days,
            "holdout_percent": self._config.holdout_percent,
        }
        if simulate_response and self._history is not None:
            document["simulated"] = self._history.play_retention_response(campaign_id, moment)
        self._models.put_document(CAMPAIGN_DOC, document)
        return document

    def uplift(self, campaign: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """Retention of the treated group against the holdout over the window after the
        launch, with a 95% interval; None before any retention campaign."""
        campaign = campaign or self._models.get_document(CAMPAIGN_DOC)
        if not campaign:
            return None
        start = datetime.fromisoformat(str(campaign["launched_at"]).replace("Z", "+00:00"))
        end = start + timedelta(days=int(campaign.get("window_days", self._config.label_days)))
        rows = self._analytics.rows(
            sql_source("retention"),
            {
                "campaign_id": campaign["campaign_id"],
                "start_ms": epoch_ms(start),
                "end_ms": epoch_ms(end),
            },
        )
        groups = {r["grp"]: r for r in rows}
        base = {
            "campaign_id": campaign["campaign_id"],
            "window": {"from": iso(start), "until": iso(end)},
            "complete": end <= self._clock() or bool(campaign.get("simulated")),
        }
        if "treated" not in groups or "holdout" not in groups:
            return {**base, "uplift": None, "reason": "the treated group or the holdout is empty"}
        t, h = groups["treated"], groups["holdout"]
        result = retention_uplift(
            int(t["retained"]), int(t["endpoints"]), int(h["retained"]), int(h["endpoints"])
        )
        return {**base, **result.to_json()}
