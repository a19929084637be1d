"""The template lint: a template's variables, helpers and partials checked against what
the project knows, so a misspelt name is reported before a million customers get an
empty greeting; and, for a campaign's (or journey's) segment, the printed variables that
most of its endpoints lack.

Known names are the project's attribute names (``Attributes.X``,
``User.UserAttributes.X``, ``Metrics.X``: the per-project name registry) and the
endpoint's standard fields. Suggestions are the closest known name (difflib), a
different spelling of the same name first (``Firstname`` → ``FirstName``).

Nothing here refuses a template: findings are warnings, returned beside the result.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from clarion.domain.templates.engine.runtime import HELPERS
from clarion.domain.templates.model import parse_default_substitutions
from clarion.domain.templates.references import (
    MAPS,
    OBJECT_FIELDS,
    ROOT_FIELDS,
    References,
    VariableUse,
    Where,
    field_name,
    iter_printed_fields,
    template_references,
)
from clarion.domain.templates.syntax import template_parts


class LintKind(StrEnum):
    UNKNOWN_ATTRIBUTE = "UNKNOWN_ATTRIBUTE"  # Attributes.X, User.UserAttributes.X, Metrics.X
    UNKNOWN_FIELD = "UNKNOWN_FIELD"  # not a field of the endpoint (or of User, Location...)
    UNKNOWN_HELPER = "UNKNOWN_HELPER"
    UNKNOWN_PARTIAL = "UNKNOWN_PARTIAL"
    MISSING_VALUES = "MISSING_VALUES"  # printed, no default, missing on many endpoints
    NOT_COUNTED = "NOT_COUNTED"  # a dry run whose segment could not be counted


@dataclass(frozen=True, slots=True)
class LintFinding:
    """One warning about a template.

    Attributes
    ----------
    kind : LintKind
    where : Where, optional
        The part, line and column (None for findings about a whole message).
    name : str
        The variable, helper or partial as written.
    message : str
        What is wrong, for a person (it names ``name``).
    suggestion : str, optional
        The closest known name.
    missing, targeted : int, optional
        For MISSING_VALUES: endpoints of the segment without a value, and in all.
    template : str, optional
        The template (or the campaign's inline message) the finding is about.
    """

    kind: LintKind
    where: Where | None
    name: str
    message: str
    suggestion: str | None = None
    missing: int | None = None
    targeted: int | None = None
    template: str | None = None

    def __str__(self) -> str:
        prefix = f"{self.template}: " if self.template else ""
        return f"{prefix}{self.where}: {self.message}" if self.where else prefix + self.message

    def about(self, template: str) -> LintFinding:
        """This finding, said of the template named ``template``."""
        return LintFinding(
            self.kind,
            self.where,
            self.name,
            self.message,
            self.suggestion,
            self.missing,
            self.targeted,
            template,
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Kind": self.kind.value}
        if self.template:
            out["Template"] = self.template
        if self.where is not None:
            out.update(Part=self.where.part, Line=self.where.line, Column=self.where.column)
        out.update(Name=self.name, Message=self.message)
        if self.suggestion is not None:
            out["Suggestion"] = self.suggestion
        if self.missing is not None:
            out.update(Missing=self.missing, Targeted=self.targeted)
        return out


# --------------------------------------------------------------------------- suggestions


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``name``: the same name in other letter case, else the
    best difflib match (ratio at least 0.6), else None."""
    pool = sorted(set(candidates))
    lowered = name.lower()
    for candidate in pool:
        if candidate.lower() == lowered and candidate != name:
            return candidate
    matches = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    return matches[0] if matches else None


def _names_in(prefix: str, known: Set[str]) -> set[str]:
    start = prefix + "."
    return {n[len(start) :] for n in known if n.startswith(start)}


def _shown(use: VariableUse) -> str:
    path = use.field_path
    return use.written if path in (None, use.written) else f"{use.written}` (`{path}`)"


def _default_note(use: VariableUse) -> str:
    return "; every message gets its default" if use.has_default else ""


# --------------------------------------------------------------------------- checks


def _check_field(use: VariableUse, known: Set[str]) -> LintFinding | None:
    field = use.field
    assert field is not None
    head = field[0]
    namespace: tuple[str, ...] | None = None
    if (head,) in MAPS and len(field) >= 2:
        namespace = (head,)
    elif head == "User" and len(field) >= 2:
        if field[1] == "UserAttributes":
            if len(field) >= 3:
                namespace = ("User", "UserAttributes")
        elif field[1] not in OBJECT_FIELDS[("User",)]:
            return _unknown_field(use, field[1], OBJECT_FIELDS[("User",)], "User")
    elif (head,) in OBJECT_FIELDS and len(field) >= 2 and field[1] not in OBJECT_FIELDS[(head,)]:
        return _unknown_field(use, field[1], OBJECT_FIELDS[(head,)], head)
    if namespace is None:
        return None
    name = field[len(namespace)]
    prefix = ".".join(namespace)
    if field_name((*namespace, name)) in known:
        return None
    suggestion = closest(name, _names_in(prefix, known))
    shown = suggestion
    if suggestion is None:
        # The same name in another of the maps (Attributes.FirstName for a user attribute).
        others = {n for n in known if not n.startswith(prefix + ".")}
        by_name = {n.rsplit(".", 1)[-1]: n for n in others}
        near = closest(name, by_name) if name not in by_name else name
        if near is not None:
            suggestion = shown = by_name[near]
    message = f"`{_shown(use)}`: no endpoint has it"
    if shown is not None:
        message += f"; did you mean `{shown}`?"
    message += _default_note(use)
    return LintFinding(
        LintKind.UNKNOWN_ATTRIBUTE,
        use.where,
        use.written,
        message,
        f"{prefix}.{suggestion}" if suggestion and "." not in suggestion else suggestion,
    )


def _unknown_field(use: VariableUse, name: str, fields: Iterable[str], owner: str) -> LintFinding:
    suggestion = closest(name, fields)
    message = f"`{_shown(use)}`: {owner} has no field {name!r}"
    if suggestion is not None:
        message += f"; did you mean `{suggestion}`?"
    return LintFinding(
        LintKind.UNKNOWN_FIELD,
        use.where,
        use.written,
        message + _default_note(use),
        f"{owner}.{suggestion}" if suggestion else None,
    )


def _check_unresolved(use: VariableUse, known: Set[str]) -> LintFinding | None:
    if use.has_default:
        return None  # a message variable with a default: it never prints empty
    head = use.written.split(".", 1)[0].lstrip("./")
    candidates = set(ROOT_FIELDS)
    for scope in use.scopes:
        if scope in OBJECT_FIELDS:
            candidates |= OBJECT_FIELDS[scope]
        elif scope in MAPS:
            candidates |= _names_in(".".join(scope), known)
    suggestion = closest(head, candidates)
    if suggestion is not None:
        message = f"`{use.written}`: not an endpoint field; did you mean `{suggestion}`?"
    else:
        message = (
            f"`{use.written}`: not an endpoint field or attribute, and no default: "
            "only a message variable fills it"
        )
    return LintFinding(LintKind.UNKNOWN_FIELD, use.where, use.written, message, suggestion)


def lint_references(references: References, known: Set[str]) -> list[LintFinding]:
    """Findings for the references of a template (``references.template_references``)."""
    findings: list[LintFinding] = []
    for use in references.variables:
        if use.field is not None:
            finding = _check_field(use, known)
        elif not use.resolved:
            finding = _check_unresolved(use, known)
        else:
            finding = None
        if finding is not None:
            findings.append(finding)
    for helper in references.unknown_helpers:
        if "." in helper.name or "/" in helper.name:
            message = (
                f"`{helper.name}` is followed by words, so it reads as a helper, and there is "
                "no such helper; write a name with spaces in brackets: `User.[user attributes]`"
            )
            suggestion = None
        else:
            suggestion = closest(helper.name, HELPERS)
            message = f"`{helper.name}`: no such helper"
            if suggestion is not None:
                message += f"; did you mean `{suggestion}`?"
        findings.append(
            LintFinding(LintKind.UNKNOWN_HELPER, helper.where, helper.name, message, suggestion)
        )
    for partial in references.unknown_partials:
        suggestion = closest(partial.name, partial.declared)
        message = f"`{{{{> {partial.name}}}}}`: the template declares no such inline partial"
        if suggestion is not None:
            message += f"; did you mean `{suggestion}`?"
        findings.append(
            LintFinding(LintKind.UNKNOWN_PARTIAL, partial.where, partial.name, message, suggestion)
        )
    return _unique(findings)


def _unique(findings: list[LintFinding]) -> list[LintFinding]:
    # A name used twice on one line is one finding.
    seen: set[tuple[Any, ...]] = set()
    out = []
    for finding in findings:
        key = (finding.kind, finding.where, finding.name)
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out


def body_references(template_type: str, body: Mapping[str, Any], known: Set[str]) -> References:
    """The references of a template body in Pinpoint JSON (a Create*Template request)."""
    try:
        defaults = set(parse_default_substitutions(body.get("DefaultSubstitutions")))
    except ValueError:
        defaults = set()
    return template_references(template_parts(template_type, body), known, defaults)


def lint_template(
    template_type: str, body: Mapping[str, Any], known: Set[str]
) -> list[LintFinding]:
    """The lint findings of a template body in Pinpoint JSON.

    Parameters
    ----------
    template_type : str
        EMAIL, SMS, PUSH or VOICE.
    body : Mapping
        The body (``EmailTemplateRequest`` ... in Pinpoint JSON).
    known : set of str
        The project's attribute names (``ProfileStore.attribute_names()``).
    """
    parts = [part for part, _ in template_parts(template_type, body)]
    findings = lint_references(body_references(template_type, body, known), known)
    order = {part: index for index, part in enumerate(parts)}
    return sorted(
        findings,
        key=lambda f: (
            (order.get(f.where.part, 0), f.where.line, f.where.column) if f.where else (0, 0, 0)
        ),
    )


# --------------------------------------------------------------------------- dry run


def printed_fields(references: References, known: Set[str]) -> dict[str, VariableUse]:
    """The endpoint fields a message prints unguarded and without a default, by
    variable path (first use of each), leaving out names the lint reports unknown
    (no endpoint has them at all)."""
    out: dict[str, VariableUse] = {}
    for use in iter_printed_fields(references):
        path = use.field_path
        if path is not None and path not in out and _check_field(use, known) is None:
            out[path] = use
    return out


def missing_value_findings(
    fields: Mapping[str, VariableUse],
    missing: Mapping[str, int],
    targeted: int,
    share: float,
) -> list[LintFinding]:
    """A MISSING_VALUES finding for each field missing on more than ``share`` (0 to 1)
    of the ``targeted`` endpoints, given the ``missing`` count of each."""
    findings: list[LintFinding] = []
    if targeted <= 0:
        return findings
    for path, use in fields.items():
        count = missing.get(path, 0)
        if count / targeted <= share:
            continue
        findings.append(
            LintFinding(
                LintKind.MISSING_VALUES,
                use.where,
                use.written,
                f"`{_shown(use)}` has no value on {count:,} of the {targeted:,} endpoints "
                f"the message reaches in the segment ({count / targeted:.0%}) and no "
                "default: those messages print it empty",
                missing=count,
                targeted=targeted,
            )
        )
    return findings
