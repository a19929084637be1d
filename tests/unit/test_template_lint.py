"""The template lint: near-miss names reported with the closest known one, names found
through blocks the way the engine finds them, and what a dry run counts."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest

from clarion.domain.templates.lint import (
    LintKind,
    body_references,
    closest,
    lint_template,
    missing_value_findings,
    printed_fields,
)
from clarion.domain.templates.references import MAPS, OBJECT_FIELDS, ROOT_FIELDS

KNOWN = {
    "Attributes.Address",
    "Attributes.Interests",
    "Attributes.Plan Name",
    "User.UserAttributes.FirstName",
    "User.UserAttributes.LastName",
    "Metrics.Visits",
}


def lint(html: str, defaults: dict[str, str] | None = None, **parts: str) -> list[Any]:
    body: dict[str, Any] = {"Subject": parts.get("subject", "Hello"), "HtmlPart": html}
    if defaults:
        import json

        body["DefaultSubstitutions"] = json.dumps(defaults)
    return lint_template("EMAIL", body, KNOWN)


def messages(html: str, **kwargs: Any) -> list[str]:
    return [f.message for f in lint(html, **kwargs)]


# ---- the endpoint's shape is Pinpoint's


def test_standard_fields_are_those_of_pinpoints_endpoint_response() -> None:
    model = botocore.session.get_session().get_service_model("pinpoint")
    assert set(model.shape_for("EndpointResponse").members) == ROOT_FIELDS
    for shape, owner in (
        ("EndpointUser", ("User",)),
        ("EndpointDemographic", ("Demographic",)),
        ("EndpointLocation", ("Location",)),
    ):
        assert set(model.shape_for(shape).members) == OBJECT_FIELDS[owner]
    for namespace in MAPS:
        assert namespace[-1] in ROOT_FIELDS | OBJECT_FIELDS[("User",)]


# ---- near misses


def test_the_issues_example_is_reported_with_a_suggestion() -> None:
    (finding,) = lint("Hi {{User.UserAttributes.Firstname}}")
    assert finding.kind == LintKind.UNKNOWN_ATTRIBUTE
    assert finding.message == (
        "`User.UserAttributes.Firstname`: no endpoint has it; did you mean `FirstName`?"
    )
    assert finding.suggestion == "User.UserAttributes.FirstName"
    assert (finding.where.part, finding.where.line, finding.where.column) == ("HtmlPart", 1, 4)
    assert str(finding).startswith("HtmlPart line 1, column 4: ")


@pytest.mark.parametrize(
    ("written", "suggestion"),
    [
        ("User.UserAttributes.FristName", "User.UserAttributes.FirstName"),
        ("User.UserAttributes.lastname", "User.UserAttributes.LastName"),
        ("Attributes.Adress", "Attributes.Address"),
        ("Attributes.Interest", "Attributes.Interests"),
        ("Metrics.Visit", "Metrics.Visits"),
        # The right name in the wrong map.
        ("Attributes.FirstName", "User.UserAttributes.FirstName"),
        ("User.UserAttributes.Address", "Attributes.Address"),
    ],
)
def test_near_miss_attribute_names(written: str, suggestion: str) -> None:
    (finding,) = lint("{{" + written + "}}")
    assert finding.kind == LintKind.UNKNOWN_ATTRIBUTE
    assert finding.suggestion == suggestion
    assert f"`{written}`: no endpoint has it; did you mean `" in finding.message


def test_an_unknown_attribute_with_nothing_close() -> None:
    (finding,) = lint("{{Attributes.Zodiac}}")
    assert finding.message == "`Attributes.Zodiac`: no endpoint has it"
    assert finding.suggestion is None


def test_an_unknown_attribute_with_a_default_still_says_so() -> None:
    (finding,) = lint("{{Attributes.Tier}}", defaults={"Attributes.Tier": "Free"})
    assert finding.message.endswith("every message gets its default")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{Location.Cty}}", "`Location.Cty`: Location has no field 'Cty'; did you mean `City`?"),
        (
            "{{Demographic.TimeZone}}",
            "`Demographic.TimeZone`: Demographic has no field 'TimeZone'; did you mean `Timezone`?",
        ),
        ("{{User.UserID}}", "`User.UserID`: User has no field 'UserID'; did you mean `UserId`?"),
        ("{{Adress}}", "`Adress`: not an endpoint field; did you mean `Address`?"),
        ("{{channelType}}", "`channelType`: not an endpoint field; did you mean `ChannelType`?"),
    ],
)
def test_near_miss_standard_fields(source: str, message: str) -> None:
    assert messages(source) == [message]


def test_names_with_spaces_are_known_in_brackets() -> None:
    assert lint("{{Attributes.[Plan Name]}} {{Attributes.[Plan Name].[0]}}") == []
    (finding,) = lint("{{Attributes.[Plan name]}}")
    assert finding.suggestion == "Attributes.Plan Name"


def test_the_whitepapers_misspelt_variable() -> None:
    # "{{User.user attributes.FirstName}}" reads as a helper "User.user" with arguments.
    (finding,) = lint("{{User.user attributes.FirstName}}{{Attributes.Address}}")
    assert finding.kind == LintKind.UNKNOWN_HELPER
    assert "write a name with spaces in brackets" in finding.message


def test_unknown_helpers_and_partials() -> None:
    findings = lint('{{#* inline "fullName"}}x{{/inline}}{{capitalise Address}} {{> fullname}}')
    assert [(f.kind, f.suggestion) for f in findings] == [
        (LintKind.UNKNOWN_HELPER, "capitalize"),
        (LintKind.UNKNOWN_PARTIAL, "fullName"),
    ]


def test_a_message_variable_without_a_default_is_noted_with_one_is_not() -> None:
    (finding,) = lint("{{Coupon}}")
    assert finding.kind == LintKind.UNKNOWN_FIELD
    assert finding.message.endswith("only a message variable fills it")
    assert lint("{{Coupon}}", defaults={"Coupon": "SAVE10"}) == []


def test_a_good_template_has_no_findings() -> None:
    source = (
        "{{#if User.UserAttributes.FirstName}}Hi {{capitalize User.UserAttributes.FirstName}}"
        "{{else}}Hi there{{/if}}, {{Attributes.Address.[0]}} {{Metrics.Visits}} "
        "{{dateFormat EffectiveDate tz=America/Los_Angeles}} {{inflect Metrics.Visits visit "
        "visits}} {{now}} {{#each Attributes.Interests}}{{@index}}: {{this}}{{/each}} "
        "{{@root.Id}} {{Demographic.Timezone}} {{User.UserId}} {{ChannelType}}"
    )
    assert lint(source) == []


def test_findings_come_in_template_order_across_parts() -> None:
    findings = lint("{{Attributes.Zodiac}}", subject="{{Attributes.Nope}}")
    assert [f.where.part for f in findings] == ["Subject", "HtmlPart"]


# ---- names through blocks, as the engine resolves them


def test_names_inside_blocks_resolve_where_the_engine_finds_them() -> None:
    source = (
        "{{#each Attributes.Interests}}{{this}} for {{User.UserAttributes.FirstName}}{{/each}}"
        "{{#with Location}}{{City}} {{Id}}{{/with}}"
        "{{#with User}}{{UserAttributes.LastName}}{{/with}}"
        "{{#with Attributes}}{{Address}}{{/with}}"
        '{{#* inline "who"}}{{City}} / {{FirstName}}{{/inline}}{{> who Location}}'
    )
    findings = lint(source)
    assert [f.name for f in findings] == ["FirstName"]
    assert findings[0].message == (
        "`FirstName`: not an endpoint field or attribute, and no default: only a message "
        "variable fills it"
    )


def test_a_misspelt_name_inside_a_block() -> None:
    (finding,) = lint("{{#with Location}}{{Cty}}{{/with}}")
    assert finding.suggestion == "City"
    (finding,) = lint("{{#with User.UserAttributes}}{{Firstname}}{{/with}}")
    assert finding.suggestion == "FirstName"


def test_partial_hash_arguments_are_names() -> None:
    source = '{{#* inline "hi"}}{{greeting}} {{User.UserAttributes.FirstName}}{{/inline}}'
    assert lint(source + '{{> hi greeting="Hello"}}') == []


# ---- what a dry run counts


def fields(html: str, defaults: dict[str, str] | None = None) -> list[str]:
    body: dict[str, Any] = {"Subject": "s", "HtmlPart": html}
    if defaults:
        import json

        body["DefaultSubstitutions"] = json.dumps(defaults)
    return list(printed_fields(body_references("EMAIL", body, KNOWN), KNOWN))


def test_printed_fields_leave_out_tested_guarded_defaulted_and_unknown_ones() -> None:
    source = (
        "{{User.UserAttributes.FirstName}} {{upper Attributes.Address.[0]}} "
        "{{#if User.UserAttributes.LastName}}{{User.UserAttributes.LastName}}{{/if}} "
        "{{#unless Location.City}}nowhere{{else}}{{Location.City}}{{/unless}} "
        "{{#each Attributes.Interests}}{{this}}{{/each}} {{Metrics.Visits}} "
        "{{yesno Demographic.Timezone}} {{Attributes.Nope}} {{#with Location}}{{Country}}{{/with}}"
    )
    assert fields(source, {"Metrics.Visits": "0"}) == [
        "User.UserAttributes.FirstName",
        "Attributes.Address.[0]",
        "Location.Country",
    ]


def test_missing_value_findings_above_the_share() -> None:
    body = {"Subject": "s", "HtmlPart": "Hi {{User.UserAttributes.FirstName}} {{Location.City}}"}
    printed = printed_fields(body_references("EMAIL", body, KNOWN), KNOWN)
    findings = missing_value_findings(
        printed, {"User.UserAttributes.FirstName": 400, "Location.City": 50}, 1000, 0.05
    )
    assert [(f.name, f.missing, f.targeted) for f in findings] == [
        ("User.UserAttributes.FirstName", 400, 1000)
    ]
    assert findings[0].message == (
        "`User.UserAttributes.FirstName` has no value on 400 of the 1,000 endpoints the "
        "message reaches in the segment (40%) and no default: those messages print it empty"
    )
    assert missing_value_findings(printed, {"Location.City": 50}, 0, 0.05) == []


def test_closest_prefers_a_different_case_of_the_same_name() -> None:
    assert closest("firstname", ["FirstName", "FirstNames", "firstnames"]) == "FirstName"
    assert closest("zzz", ["FirstName"]) is None
