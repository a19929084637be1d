"""Rendering, case by case from Pinpoint's documentation:

* "Adding personalized content to message templates" (variables, defaults, missing);
* "Using message template helpers" (every helper, each's 15-item limit, `.[0]`,
  bracketed names, nesting, inline partials);
* Handlebars.js for escaping (`{{x}}` escaped, `{{{x}}}` not) in email HTML.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clarion.domain.audience.endpoint import Endpoint
from clarion.domain.templates.compiled import compile_template, render_template
from clarion.domain.templates.engine.lexer import TemplateSyntaxError
from clarion.domain.templates.engine.runtime import MAX_EACH_ITEMS, CompiledPart, check_syntax
from clarion.domain.templates.engine.warnings import WarningKind
from clarion.domain.templates.model import MessageTemplate
from clarion.domain.templates.rendered import (
    RenderedEmail,
    RenderedPush,
    RenderedSms,
    RenderedVoice,
)

FIXTURES = Path(__file__).resolve().parents[1] / "events" / "templates"
NOW = datetime(2024, 3, 5, 23, 30, tzinfo=UTC)


def endpoint(**overrides: Any) -> dict[str, Any]:
    base = Endpoint.model_validate(
        {
            "Id": "ep-1",
            "ChannelType": "EMAIL",
            "Address": "zoe@example.com",
            "Attributes": {
                "Plan Name": ["Gold"],
                "FavoriteColors": ["red", "blue", "yellow"],
                "description": ["my first post"],
            },
            "User": {
                "UserId": "user-1",
                "UserAttributes": {
                    "FirstName": ["Zoë"],
                    "LastName": ["Alejandro"],
                    "UserAge": ["22"],
                },
            },
            "Demographic": {"Timezone": "America/Los_Angeles", "Locale": "en_US"},
            "Location": {"City": "Los Angeles", "Country": "US"},
            "Metrics": {"Visits": 3.0, "Spend": 12.5},
        }
    ).to_pinpoint()
    base.update(overrides)
    return base


def render(
    source: str,
    data: dict[str, Any] | None = None,
    *,
    escape: bool = False,
    defaults: dict[str, str] | None = None,
    variables: dict[str, Any] | None = None,
) -> tuple[str, list[str]]:
    warnings: list[str] = []
    out = CompiledPart(source, defaults).render(
        endpoint() if data is None else data, variables, escape=escape, now=NOW, warnings=warnings
    )
    return out, warnings


def text(source: str, **kwargs: Any) -> str:
    out, warnings = render(source, **kwargs)
    assert warnings == []
    return out


# ---- variables at each documented path


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{Id}}", "ep-1"),
        ("{{Address}}", "zoe@example.com"),
        ("{{ChannelType}}", "EMAIL"),
        ("{{User.UserId}}", "user-1"),
        ("{{User.UserAttributes.FirstName}}", "Zoë"),
        ("{{Demographic.Timezone}}", "America/Los_Angeles"),
        ("{{Location.City}}", "Los Angeles"),
        ("{{Metrics.Visits}}", "3"),
        ("{{Metrics.Spend}}", "12.5"),
    ],
)
def test_variables_at_each_documented_path(source: str, expected: str) -> None:
    assert text(source) == expected


def test_one_element_list_renders_its_value_as_the_guides_example() -> None:
    # "Hi {{User.UserAttributes.FirstName}}" -> "Hi Sofia" in the user guide.
    assert text("Hi {{User.UserAttributes.FirstName}}!") == "Hi Zoë!"


def test_multi_valued_attribute_renders_comma_joined_as_handlebars_js_does() -> None:
    assert text("{{Attributes.FavoriteColors}}") == "red,blue,yellow"


def test_index_selects_an_element() -> None:
    assert text("{{Attributes.FavoriteColors.[0]}}") == "red"
    assert text("{{Attributes.FavoriteColors.[2]}}") == "yellow"


def test_index_past_the_end_renders_empty_without_failing() -> None:
    out, warnings = render("[{{Attributes.FavoriteColors.[9]}}]")
    assert out == "[]"
    assert warnings == [
        "{{Attributes.FavoriteColors.[9]}}: no value for Attributes.FavoriteColors.[9] and no "
        "default; rendered empty"
    ]


def test_bracketed_names_with_spaces() -> None:
    assert text("{{Attributes.[Plan Name]}}") == "Gold"
    assert text("{{Attributes.[Plan Name].[0]}}") == "Gold"


# ---- defaults and missing values


def test_default_used_when_value_is_missing() -> None:
    defaults = {"User.UserAttributes.Activity": "running"}
    source = "your new {{User.UserAttributes.Activity}} record"
    assert text(source, defaults=defaults) == "your new running record"


def test_default_used_when_value_is_empty() -> None:
    data = endpoint(User={"UserAttributes": {"FirstName": [""]}})
    defaults = {"User.UserAttributes.FirstName": "there"}
    assert text("Hi {{User.UserAttributes.FirstName}}", data=data, defaults=defaults) == "Hi there"


def test_default_by_path_also_serves_the_indexed_form() -> None:
    defaults = {"Attributes.Tier": "Free"}
    assert text("{{Attributes.Tier.[0]}}", defaults=defaults) == "Free"


def test_present_value_wins_over_default() -> None:
    assert text("{{Location.City}}", defaults={"Location.City": "nowhere"}) == "Los Angeles"


def test_missing_value_without_default_omits_the_text_with_a_warning() -> None:
    # User guide: "Amazon Pinpoint omits all text for the variable". Clarion says so.
    out, warnings = render("your new {{User.UserAttributes.Activity}} record")
    assert out == "your new  record"
    assert [w.kind for w in warnings] == [WarningKind.MISSING_VALUE]  # type: ignore[attr-defined]
    assert "User.UserAttributes.Activity" in warnings[0]
    out, warnings = render("{{No.Such.Path.[3].Deep}}")
    assert out == "" and len(warnings) == 1


def test_a_list_of_only_empty_values_is_missing_and_renders_empty() -> None:
    data = endpoint(Attributes={"Tags": ["", ""]})
    out, warnings = render("[{{Attributes.Tags}}]", data)
    assert out == "[]" and len(warnings) == 1
    assert text("[{{Attributes.Tags}}]", data=data, defaults={"Attributes.Tags": "none"}) == (
        "[none]"
    )


def test_a_missing_value_the_template_handles_is_no_warning() -> None:
    # Tested by a condition, or given to a helper that prints something for it.
    assert text("{{#if Attributes.Nope}}x{{else}}none{{/if}}") == "none"
    assert text("{{#unless Attributes.Nope}}none{{/unless}}") == "none"
    assert text("{{yesno Attributes.Nope}}") == "maybe"
    assert text("{{inflect 2 apple apples}}") == "apples"
    assert text("{{#each Attributes.Nope}}x{{else}}no items{{/each}}") == "no items"


def test_message_variables_fill_what_the_endpoint_lacks() -> None:
    variables = {"Coupon": "SAVE10", "Location.City": "ignored"}
    assert text("{{Coupon}} {{Location.City}}", variables=variables) == "SAVE10 Los Angeles"


def test_message_variables_come_before_defaults() -> None:
    out = text("{{Coupon}}", variables={"Coupon": ["A1"]}, defaults={"Coupon": "NONE"})
    assert out == "A1"


# ---- escaping: email HTML only


def test_email_html_escapes_script_and_quotes() -> None:
    data = endpoint(Attributes={"Bio": ["<script>alert(\"x\")</script> & 'quoted'"]})
    out, _ = render("<p>{{Attributes.Bio}}</p>", data, escape=True)
    assert "<script>" not in out
    assert out == (
        "<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;quoted&#x27;</p>"
    )
    assert html.unescape(out) == "<p><script>alert(\"x\")</script> & 'quoted'</p>"


def test_text_parts_are_not_escaped() -> None:
    data = endpoint(Attributes={"Bio": ["<b>&\"'</b>"]})
    out, _ = render("{{Attributes.Bio}}", data, escape=False)
    assert out == "<b>&\"'</b>"


def test_triple_stash_and_ampersand_are_not_escaped_in_html() -> None:
    data = endpoint(Attributes={"Banner": ["<b>Sale</b>"]})
    assert render("{{{Attributes.Banner}}}", data, escape=True)[0] == "<b>Sale</b>"
    assert render("{{& Attributes.Banner}}", data, escape=True)[0] == "<b>Sale</b>"


def test_helper_output_is_escaped_in_html_like_handlebars_js() -> None:
    data = endpoint(Attributes={"Bio": ["<i>x</i>"]})
    assert render("{{upper Attributes.Bio}}", data, escape=True)[0] == "&lt;I&gt;X&lt;/I&gt;"


def test_template_markup_itself_is_never_escaped() -> None:
    source = "<ul>{{#each Attributes.FavoriteColors}}<li>{{this}}</li>{{/each}}</ul>"
    out, _ = render(source, escape=True)
    assert out == "<ul><li>red</li><li>blue</li><li>yellow</li></ul>"


def test_defaults_are_escaped_too() -> None:
    out, _ = render("{{Attributes.X}}", escape=True, defaults={"Attributes.X": "<&>"})
    assert out == "&lt;&amp;&gt;"


# ---- built-in helpers: each (at most 15), if, unless, with


def test_each_with_index_and_else() -> None:
    source = "{{#each Attributes.FavoriteColors}}{{@index}}={{this}};{{else}}none{{/each}}"
    assert text(source) == "0=red;1=blue;2=yellow;"
    assert text("{{#each Attributes.Nothing}}x{{else}}none{{/each}}") == "none"


def test_each_first_last_and_key() -> None:
    source = "{{#each Location}}{{#if @first}}[{{/if}}{{@key}}{{#if @last}}]{{/if}} {{/each}}"
    assert text(source) == "[City Country] "


@pytest.mark.parametrize("count", [MAX_EACH_ITEMS - 1, MAX_EACH_ITEMS, MAX_EACH_ITEMS + 1, 40])
def test_each_iterates_at_most_15_items(count: int) -> None:
    items = [f"i{n}" for n in range(count)]
    data = endpoint(Attributes={"Items": items})
    out, warnings = render("{{#each Attributes.Items}}{{this}},{{/each}}", data)
    assert out == "".join(f"{item}," for item in items[:MAX_EACH_ITEMS])
    assert (len(warnings) == 1) is (count > MAX_EACH_ITEMS)


def test_if_with_first_name_as_in_the_guide() -> None:
    source = (
        "{{#if User.UserAttributes.FirstName.[0]}}Hello {{User.UserAttributes.FirstName.[0]}},"
        "{{else}}Hello,{{/if}}"
    )
    assert text(source) == "Hello Zoë,"
    assert text(source, data=endpoint(User={"UserId": "u"})) == "Hello,"


def test_else_if_chains() -> None:
    source = "{{#if A}}a{{else if Location.City}}city{{else}}none{{/if}}"
    assert text(source) == "city"
    assert text(source, data={"Location": {}}) == "none"


def test_unless_and_with() -> None:
    assert text("{{#unless Attributes.Vip}}regular{{else}}vip{{/unless}}") == "regular"
    assert text("{{#with Location}}{{City}}, {{Country}}{{/with}}") == "Los Angeles, US"
    assert text("{{#with Nothing}}x{{else}}empty{{/with}}") == "empty"


def test_parent_and_root_paths_inside_blocks() -> None:
    source = "{{#each Attributes.FavoriteColors}}{{../Id}}/{{@root.User.UserId}}:{{.}} {{/each}}"
    assert text(source) == "ep-1/user-1:red ep-1/user-1:blue ep-1/user-1:yellow "


def test_inline_partial_from_the_guide() -> None:
    source = (
        '{{#* inline "fullName"}}'
        "{{User.UserAttributes.FirstName.[0]}}"
        "{{#if User.UserAttributes.LastName.[0]}} {{User.UserAttributes.LastName.[0]}}{{/if}}"
        "{{/inline}}Hello {{> fullName}}"
    )
    assert text(source) == "Hello Zoë Alejandro"
    assert text(source, data=endpoint(User={"UserAttributes": {"FirstName": ["Jane"]}})) == (
        "Hello Jane"
    )


def test_standalone_block_lines_leave_no_blank_lines() -> None:
    source = "Hi\n{{#if Location.City}}\n  in {{Location.City}}\n{{/if}}\nBye"
    assert text(source) == "Hi\n  in Los Angeles\nBye"


def test_tilde_trims_whitespace() -> None:
    assert text("a   {{~Id~}}   b") == "aep-1b"


def test_comments_render_nothing() -> None:
    assert text("a{{! note }}b{{!-- has }} inside --}}c") == "abc"


# ---- conditional helpers


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('{{#eq User.UserAttributes.FirstName.[0] "Zoë"}}yes{{else}}no{{/eq}}', "yes"),
        ('{{eq Attributes.FavoriteColors.[0] "red" yes="Y" no="N"}}', "Y"),
        ('{{#neq Attributes.FavoriteColors.[0] "red"}}not red{{else}}red{{/neq}}', "red"),
        ('{{#gt User.UserAttributes.UserAge.[0] "17"}}adult{{else}}minor{{/gt}}', "adult"),
        ('{{#gte User.UserAttributes.UserAge.[0] "22"}}y{{else}}n{{/gte}}', "y"),
        ('{{#lt User.UserAttributes.UserAge.[0] "18"}}minor{{else}}adult{{/lt}}', "adult"),
        ('{{#lte User.UserAttributes.UserAge.[0] "22"}}y{{else}}n{{/lte}}', "y"),
        ('{{gt User.UserAttributes.UserAge.[0] "9" yes="num" no="text"}}', "num"),
        ('{{not (eq Attributes.FavoriteColors.[0] "red")}}', "false"),
        ('{{#not (eq Attributes.FavoriteColors.[0] "blue")}}not blue{{/not}}', "not blue"),
        (
            '{{#and (eq Location.City "Los Angeles") (eq Location.Country "US")}}LA'
            "{{else}}elsewhere{{/and}}",
            "LA",
        ),
        ('{{and Location.City Nothing yes="y" no="n"}}', "n"),
        (
            '{{#or (eq Location.City "Seattle") (eq Location.City "Los Angeles")}}west'
            "{{else}}east{{/or}}",
            "west",
        ),
        ('{{or Nothing Other yes="y" no="n"}}', "n"),
    ],
)
def test_conditional_helpers(source: str, expected: str) -> None:
    assert text(source) == expected


def test_comparisons_are_numeric_when_both_sides_are_numbers() -> None:
    # "9" > "17" as text, but not as numbers.
    assert text('{{gt "9" "17" yes="y" no="n"}}') == "n"
    assert text('{{gt "b" "a" yes="y" no="n"}}') == "y"


# ---- string helpers


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{abbreviate User.UserAttributes.LastName.[0] 6}}", "Ale..."),
        ("{{abbreviate User.UserAttributes.LastName.[0] 20}}", "Alejandro"),
        ("{{capitalize Attributes.description.[0]}}", "My First Post"),
        ("{{capitalizeFirst Attributes.description.[0]}}", "My first post"),
        ("[{{center Location.City size=19}}]", "[    Los Angeles    ]"),
        ('[{{center "ab" size=5 pad="*"}}]', "[*ab**]"),
        ('{{cut Location.City "e"}}', "Los Angls"),
        ("{{cut Location.City}}", "LosAngeles"),
        ("{{inflect 3 apple apples includeCount=false}}", "apples"),
        ("{{inflect 3 apple apples includeCount=true}}", "3 apples"),
        ('{{inflect 1 "apple" "apples" includeCount=true}}', "1 apple"),
        ('{{join Attributes.FavoriteColors ", "}}', "red, blue, yellow"),
        (
            '{{join Attributes.FavoriteColors " // " prefix="<" suffix=">"}}',
            "<red // blue // yellow>",
        ),
        ("[{{ljust Location.City 15}}]", "[Los Angeles    ]"),
        ('[{{ljust Location.City 13 pad="."}}]', "[Los Angeles..]"),
        ("{{lower User.UserAttributes.LastName.[0]}}", "alejandro"),
        ("{{ordinalize User.UserAttributes.UserAge.[0]}}", "22nd"),
        ('{{replace Location.City " " "_"}}', "Los_Angeles"),
        ("[{{rjust Location.City 15}}]", "[    Los Angeles]"),
        ("{{slugify Location.City}}", "los-angeles"),
        ('{{stripTags "<h1>Art</h1>"}}', "Art"),
        ("{{substring Location.City 4 9}}", "Angel"),
        ("{{substring Location.City 4}}", "Angeles"),
        ("{{upper User.UserAttributes.LastName.[0]}}", "ALEJANDRO"),
        ('{{yesno "true"}}', "yes"),
        ('{{yesno "false"}}', "no"),
        ("{{yesno Attributes.Nothing}}", "maybe"),
        ('{{yesno "true" yes="Sure"}}', "Sure"),
        ('{{capitalizeFirst (lower "JANE")}}', "Jane"),
    ],
)
def test_string_helpers(source: str, expected: str) -> None:
    assert text(source) == expected


@pytest.mark.parametrize(
    ("number", "expected"),
    [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"), (13, "13th"),
     (21, "21st"), (101, "101st"), (111, "111th")],
)  # fmt: skip
def test_ordinalize_suffixes(number: int, expected: str) -> None:
    assert text(f"{{{{ordinalize {number}}}}}") == expected


# ---- dates


def test_date_format_as_in_the_guide() -> None:
    data = endpoint(User={"UserAttributes": {"StartDate": ["09/19/2020"]}})
    source = (
        "{{dateFormat User.UserAttributes.StartDate.[0] "
        'inputFormat="MM/dd/yyyy" outputFormat="full" tz=America/Los_Angeles}}'
    )
    # The guide prints "Tuesday"; 19 September 2020 was a Saturday.
    assert text(source, data=data) == "Saturday, September 19, 2020"


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("full", "Saturday, September 19, 2020"),
        ("long", "September 19, 2020"),
        ("medium", "Sept 19, 2020"),
        ("short", "9/19/20"),
        ("yyyy-MM-dd'T'HH:mm", "2020-09-19T10:30"),
        ("EEE d MMM yy, h:mm a z", "Sat 19 Sept 20, 10:30 AM PDT"),
    ],
)
def test_date_format_styles_and_patterns(style: str, expected: str) -> None:
    source = f'{{{{dateFormat "2020-09-19T17:30:00Z" outputFormat="{style}"}}}}'
    # No tz: the endpoint's Demographic.Timezone (America/Los_Angeles, UTC-7 in September).
    assert text(source) == expected


def test_date_format_with_explicit_zone_and_medium_default() -> None:
    assert text('{{dateFormat "2020-09-19T23:30:00Z" tz="Asia/Tokyo"}}') == "Sept 20, 2020"


def test_date_format_falls_back_to_utc_without_any_zone() -> None:
    out, _ = render('{{dateFormat "2020-09-19T23:30:00Z" outputFormat="HH:mm"}}', {"Id": "x"})
    assert out == "23:30"


def test_now_uses_the_given_zone_then_the_endpoint_zone() -> None:
    # NOW is 2024-03-05 23:30 UTC: already the 6th in Tokyo, still the 5th in Los Angeles.
    assert text('{{now "medium" tz=Asia/Tokyo}}') == "Mar 6, 2024"
    assert text("{{now}}") == "Mar 5, 2024"
    assert text('{{now "yyyy-MM-dd HH:mm XXX"}}') == "2024-03-05 15:30 -08:00"


# ---- math and encoding helpers (examples from the guide)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{add 5 2.3}}", "7.3"),
        ("{{ceiling 5.23}}", "6"),
        ("{{divide 5 2.3}}", "2.17391304"),
        ("{{floor 5.23}}", "5"),
        ("{{modulo 7 2}}", "1"),
        ("{{multiply 5 2.3}}", "11.5"),
        ("{{round 19.21}}", "19"),
        ("{{round 2.5}}", "3"),
        ("{{subtract 5 2.3}}", "2.7"),
        ("{{add Metrics.Visits User.UserAttributes.UserAge.[0]}}", "25"),
        ('{{encode64 "Hello World"}}', base64.b64encode(b"Hello World").decode()),
        ('{{decode64 "SGVsbG8gV29ybGQ="}}', "Hello World"),
        ('{{md5 "Hello World"}}', hashlib.md5(b"Hello World", usedforsecurity=False).hexdigest()),
        ('{{sha256 "Hello World"}}', hashlib.sha256(b"Hello World").hexdigest()),
        ('{{sha512 "Hello World"}}', hashlib.sha512(b"Hello World").hexdigest()),
    ],
)
def test_math_and_encoding_helpers(source: str, expected: str) -> None:
    assert text(source) == expected


def test_uuid_is_a_fresh_uuid_each_time() -> None:
    first, second = text("{{uuid}}"), text("{{uuid}}")
    assert uuid.UUID(first) and uuid.UUID(second) and first != second


# ---- nothing fails at render time


@pytest.mark.parametrize(
    "source",
    [
        "{{noSuchHelper Location.City}}",
        "{{#noSuchBlock Location.City}}x{{/noSuchBlock}}",
        "{{divide 1 0}}",
        "{{add Location.City 1}}",
        "{{abbreviate Location.City -1}}",
        "{{decode64 Location.City}}",
        '{{dateFormat Location.City inputFormat="yyyy"}}',
        '{{now tz="Not/AZone"}}',
        "{{substring Location.City -2}}",
        "{{Location}}",
        "{{> missingPartial}}",
        "{{#each Location.City}}{{this}}{{/each}}{{each}}",
        "{{eq}}",
        "{{lookup}}",
    ],
)
def test_broken_helper_calls_render_empty_with_a_warning(source: str) -> None:
    out, warnings = render(f"before {source} after")
    assert out.startswith("before ") and out.endswith(" after")
    if source.startswith("{{#each"):
        assert "Los Angeles" in out  # a lone value iterates as one item
    else:
        assert out == "before  after"
    assert warnings


def test_recursive_partial_stops_with_a_warning() -> None:
    out, warnings = render('{{#* inline "loop"}}x{{> loop}}{{/inline}}{{> loop}}')
    assert out == "x" * 10
    assert warnings


def test_render_does_not_fail_on_odd_data_shapes() -> None:
    odd: dict[str, Any] = {"Attributes": {"X": [None, 3, {"a": 1}]}, "User": None}
    out, _ = render("{{Attributes.X.[0]}}|{{Attributes.X.[1]}}|{{User.UserId}}", odd)
    assert out == "|3|"


# ---- syntax errors are found at compile time


@pytest.mark.parametrize(
    "source",
    [
        "{{#if x}}open",
        "{{#if x}}a{{/each}}",
        "{{/if}}",
        "{{ unclosed",
        "{{{ triple }}",
        "{{}}",
        "{{!-- never closed",
        "{{add (upper x}}",
        "{{else}}",
        "{{#if x}}a{{else}}b{{else}}c{{/if}}",
        '{{#* inline "p"}}never closed',
    ],
)
def test_malformed_templates_raise_syntax_errors(source: str) -> None:
    with pytest.raises(TemplateSyntaxError) as caught:
        check_syntax(source)
    assert caught.value.line >= 1 and caught.value.column >= 1


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("{{=<% %>=}}", "set-delimiter tags"),
        ("{{#each Attributes.X as |x|}}{{x}}{{/each}}", "block parameters"),
        ("{{#each Attributes.X as |x i|}}{{x}}{{/each}}", "block parameters"),
        ("{{*decorator}}", "decorators other than"),
        ("{{#> layout}}x{{/layout}}", "partial blocks"),
    ],
)
def test_what_clarion_does_not_support_is_refused_by_name(source: str, reason: str) -> None:
    with pytest.raises(TemplateSyntaxError, match=re.escape(reason)):
        check_syntax(source)


def test_syntax_error_reports_line_and_column() -> None:
    with pytest.raises(TemplateSyntaxError) as caught:
        check_syntax("line one\nline two {{#if x}}")
    assert (caught.value.line, caught.value.column) == (2, 10)


def test_escaped_mustache_is_literal() -> None:
    assert text("\\{{Id}} {{Id}}") == "{{Id}} ep-1"


# ---- channel messages from stored templates


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def test_email_message_from_the_welcome_fixture() -> None:
    template = MessageTemplate.create("welcome", "EMAIL", load("email_welcome.json"))
    data = endpoint(Attributes={"Plan Name": ["<Gold>"], "Banner": ["<hr>"]})
    message = render_template(template.active, data)
    assert isinstance(message, RenderedEmail)
    assert message.subject == "Welcome, Zoë!"
    assert "Your plan: &lt;Gold&gt;" in (message.html or "")
    assert "<hr>" in (message.html or "")
    assert message.text == "Hello Zoë\nYour plan: <Gold>\nCity: Los Angeles"
    assert message.headers == (("X-Clarion-Endpoint", "ep-1"),)
    assert message.warnings == ()


def test_email_defaults_from_default_substitutions() -> None:
    template = MessageTemplate.create("welcome", "EMAIL", load("email_welcome.json"))
    message = render_template(template.active, {"Id": "e2"})
    assert isinstance(message, RenderedEmail)
    assert message.subject == "Welcome, there!"
    assert message.text == "Hello there\nYour plan: \nCity: your city"


def test_sms_message_with_a_message_variable() -> None:
    template = MessageTemplate.create("remind", "SMS", load("sms_reminder.json"))
    message = render_template(template.active, endpoint(), {"Coupon": "SAVE10"})
    assert isinstance(message, RenderedSms)
    assert message.body.startswith("Hi Zoë, your code SAVE10 expires soon.")


def test_voice_message_keeps_language_and_voice() -> None:
    template = MessageTemplate.create("code", "VOICE", load("voice_code.json"))
    message = render_template(template.active, endpoint(), {"Code": "1 2 3"})
    assert isinstance(message, RenderedVoice)
    assert message.body == "Hello Zoë. Your verification code is 1 2 3."
    assert (message.language_code, message.voice_id) == ("en-US", "Joanna")


def test_push_message_per_platform_falls_back_to_default_fields() -> None:
    template = MessageTemplate.create("offer", "PUSH", load("push_offer.json"))
    message = render_template(template.active, endpoint(Attributes={"Offer": ["2-for-1"]}))
    assert isinstance(message, RenderedPush)
    apns = message.for_platform("APNS_SANDBOX")
    assert apns.title == "Just for you, Zoë"
    assert apns.body == "2-for-1 is waiting"  # from Default
    assert apns.media_url == "https://example.com/img/2-for-1.png"
    assert (apns.action, apns.url, apns.sound) == (
        "URL",
        "https://example.com/offers/ep-1",
        "default",
    )
    gcm = message.for_platform("GCM")
    assert gcm.title == "An offer for Zoë" and gcm.body == "2-for-1 on Android"
    assert message.for_platform("BAIDU") == message.default


def test_push_raw_content_that_renders_to_bad_json_is_a_warning() -> None:
    body = {"GCM": {"RawContent": '{"data": {"name": "{{Attributes.Name}}"}}'}}
    template = MessageTemplate.create("raw", "PUSH", body)
    message = render_template(template.active, {"Attributes": {"Name": ['Say "hi"']}})
    assert message.warnings and "RawContent" in message.warnings[0]


def test_warnings_name_the_part() -> None:
    template = MessageTemplate.create("w", "EMAIL", {"Subject": "{{nope 1}}", "TextPart": "ok"})
    message = render_template(template.active, {})
    assert message.warnings == ("Subject: unknown helper 'nope': rendered empty",)


def test_compiled_once_per_version_and_recompiled_after_overwrite() -> None:
    template = MessageTemplate.create(
        "cache", "SMS", {"Body": "one {{Id}}"}, now="2024-01-01T00:00:00Z"
    )
    first = compile_template(template.active)
    assert compile_template(template.active) is first
    overwritten = template.update({"Body": "two {{Id}}"}, now="2024-01-02T00:00:00Z")
    message = render_template(overwritten.active, {"Id": "x"})
    assert isinstance(message, RenderedSms) and message.body == "two x"
    assert compile_template(overwritten.active) is not first


# ---- property: any endpoint renders into email HTML without raising or leaking "<"

attribute_names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="[]"),
    min_size=1,
    max_size=20,
)
attribute_values = st.text(
    alphabet=st.one_of(st.sampled_from("<>&\"'`="), st.characters(codec="utf-8")),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(
    attributes=st.dictionaries(attribute_names, st.lists(attribute_values, max_size=3), max_size=5),
    first_name=st.lists(attribute_values, max_size=2),
)
def test_any_endpoint_renders_into_html_safely(
    attributes: dict[str, list[str]], first_name: list[str]
) -> None:
    data = {
        "Id": "p",
        "Attributes": attributes,
        "User": {"UserAttributes": {"FirstName": first_name}},
    }
    references = "".join(f"<td>{{{{Attributes.[{name}]}}}}</td>" for name in attributes)
    source = (
        "<p>{{User.UserAttributes.FirstName}} {{upper User.UserAttributes.FirstName.[0]}}</p>"
        f"{references}"
        "{{#each Attributes}}<i>{{@key}}={{this}}</i>{{/each}}"
    )
    warnings: list[str] = []
    out = CompiledPart(source).render(data, escape=True, warnings=warnings)
    # Every "<" left in the output opens one of the template's own tags.
    assert re.sub(r"</?(p|td|i)>", "", out).count("<") == 0
