"""The template lint as a use case: a template checked against the project's attribute
names when it is created, updated or linted on demand; and the dry run of a campaign's
(or, later, a journey's) messages against its segment: the printed variables without a
default that too many of the segment's endpoints lack, counted in one audience query.

Findings are warnings, never refusals: the template is stored and the campaign created
or launched whatever they say.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from clarion.domain.segments.sql import missing_value_condition, reachable_condition
from clarion.domain.templates.lint import (
    LintFinding,
    LintKind,
    body_references,
    lint_references,
    lint_template,
    missing_value_findings,
    printed_fields,
)
from clarion.domain.templates.model import TemplateVersion
from clarion.domain.templates.references import VariableUse
from clarion.ports.audience import ProfileStore
from clarion.ports.segments import AudienceQuery

# A printed variable missing on more than this share of a segment is reported.
DEFAULT_MISSING_SHARE = 0.05


class SegmentSql(Protocol):
    """The SQL of a segment version (``SegmentService`` is one)."""

    def compile(self, segment_id: str, version: int | None = None) -> str: ...


@dataclass(frozen=True, slots=True)
class MessageToCheck:
    """One message a campaign or journey sends: a label for the findings (the template's
    name, or which inline message), its type, its body in Pinpoint JSON, and the
    channel types it goes to (the segment's endpoints on them are the ones counted; all
    of them when empty)."""

    label: str
    template_type: str
    body: Mapping[str, Any]
    channels: tuple[str, ...] = ()

    @classmethod
    def of(
        cls, version: TemplateVersion, label: str | None = None, channels: Sequence[str] = ()
    ) -> MessageToCheck:
        """A stored template version as a message to check."""
        return cls(
            label or version.template_name,
            str(version.template_type),
            version.body.to_pinpoint(),
            tuple(channels),
        )


class TemplateLinter:
    """Checks templates against what the project knows (module docstring).

    Parameters
    ----------
    profiles
        The per-project attribute-name registry (``attribute_names``).
    audience, segments
        For dry runs: the audience query that counts, and the segment compiler; each
        may be given as a function making it on first use (a process that never runs a
        dry run never makes them).
    missing_share
        A printed variable missing on more than this share (0 to 1) of the target
        segment is reported.
    """

    def __init__(
        self,
        profiles: ProfileStore,
        audience: AudienceQuery | Callable[[], AudienceQuery] | None = None,
        segments: SegmentSql | Callable[[], SegmentSql] | None = None,
        *,
        missing_share: float = DEFAULT_MISSING_SHARE,
    ) -> None:
        if not 0 <= missing_share <= 1:
            raise ValueError(f"missing_share must be between 0 and 1, not {missing_share}")
        self._profiles = profiles
        self._audience = audience
        self._segments = segments
        self.missing_share = missing_share

    def known_names(self) -> set[str]:
        """The project's attribute names (``Attributes.X``, ``User.UserAttributes.X``,
        ``Metrics.X``)."""
        return self._profiles.attribute_names()

    def lint(self, template_type: str, body: Mapping[str, Any]) -> list[LintFinding]:
        """The findings of one template body in Pinpoint JSON."""
        return lint_template(template_type, body, self.known_names())

    def lint_version(self, version: TemplateVersion) -> list[LintFinding]:
        """The findings of a stored template version."""
        return self.lint(str(version.template_type), version.body.to_pinpoint())

    def check_messages(
        self,
        segment_id: str,
        segment_version: int | None,
        messages: Sequence[MessageToCheck],
        *,
        missing_share: float | None = None,
    ) -> list[LintFinding]:
        """The dry run for what a campaign or journey sends to a segment: each message's
        lint findings, then its printed variables without a default that more than
        ``missing_share`` (the linter's by default) of the endpoints it would address
        lack (the segment's endpoints on its channels, with an address, not opted out,
        not inactive), all counted in one audience query.

        A segment that cannot be counted (the audience query fails) gives a NOT_COUNTED
        finding rather than an error: a dry run never stops a create or a launch.
        """
        share = self.missing_share if missing_share is None else missing_share
        known = self.known_names()
        findings: list[LintFinding] = []
        printed: list[tuple[MessageToCheck, dict[str, VariableUse]]] = []
        # Each condition once: who a message reaches, and who of them lacks a field.
        conditions: dict[tuple[tuple[str, ...], str | None], str] = {}
        for message in messages:
            references = body_references(message.template_type, message.body, known)
            findings += [f.about(message.label) for f in lint_references(references, known)]
            missing = {
                path: condition
                for path, use in printed_fields(references, known).items()
                if (condition := missing_value_condition(use.field or ())) is not None
            }
            if not missing:
                continue
            reach = reachable_condition(message.channels)
            conditions.setdefault((message.channels, None), reach)
            for path, condition in missing.items():
                conditions.setdefault((message.channels, path), f"{reach} AND {condition}")
            fields = printed_fields(references, known)
            printed.append((message, {path: fields[path] for path in missing}))
        if not printed or self._audience is None or self._segments is None:
            return findings
        audience = self._audience() if callable(self._audience) else self._audience
        segments = self._segments() if callable(self._segments) else self._segments
        try:
            sql = segments.compile(segment_id, segment_version)
            _, counts = audience.tally(sql, list(conditions.values()))
        except Exception as exc:  # a dry run reports; it never stops the caller
            findings.append(
                LintFinding(
                    LintKind.NOT_COUNTED,
                    None,
                    segment_id,
                    f"the segment's endpoints could not be counted: {exc}",
                )
            )
            return findings
        tallied = dict(zip(conditions, counts, strict=True))
        for message, fields in printed:
            reached = tallied[(message.channels, None)]
            missing_counts = {path: tallied[(message.channels, path)] for path in fields}
            findings += [
                f.about(message.label)
                for f in missing_value_findings(fields, missing_counts, reached, share)
            ]
        return findings
