"""Name lookup as handlebars.java (Pinpoint's engine) does it, through every kind of
block and at any depth, and the indentation a standalone partial line gives its partial.

The properties compare the engine with two models: the block-local resolution Clarion
had before (``clarion_devkit.reference.BlockLocalResolution``), which must agree
wherever it found every name; and a plain walk of the context stack, which is what
handlebars.java does.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clarion.domain.templates.engine.runtime import CompiledPart
from clarion_devkit.reference import BlockLocalResolution

ENDPOINT: dict[str, Any] = {
    "Id": "ep-1",
    "Address": "ana@example.com",
    "Attributes": {"Interests": ["gardening", "cooking"], "Plan": ["Gold"]},
    "User": {"UserId": "u-1", "UserAttributes": {"FirstName": ["Ana"]}},
    "Location": {"City": "Oslo", "Country": "NO"},
    "Metrics": {"Visits": 3.0},
}


def render(source: str, data: Any = None) -> tuple[str, list[str]]:
    warnings: list[str] = []
    out = CompiledPart(source).render(ENDPOINT if data is None else data, warnings=warnings)
    return out, warnings


def text(source: str, data: Any = None) -> str:
    out, warnings = render(source, data)
    assert warnings == []
    return out


# ---- the template, as Pinpoint renders it


def test_root_names_inside_each_fall_back_to_the_endpoint() -> None:
    source = (
        "{{#each Attributes.Interests}}{{this}} for {{User.UserAttributes.FirstName}}; {{/each}}"
    )
    assert text(source) == "gardening for Ana; cooking for Ana; "


# ---- each block type


def test_with_falls_back_to_the_endpoint() -> None:
    assert text("{{#with Location}}{{City}}, {{Id}}, {{Attributes.Plan}}{{/with}}") == (
        "Oslo, ep-1, Gold"
    )


def test_if_and_unless_inside_each_see_root_names() -> None:
    source = (
        "{{#each Attributes.Interests}}"
        "{{#if User.UserAttributes.FirstName}}{{User.UserAttributes.FirstName}}:{{/if}}"
        "{{#unless Metrics.Nope}}{{Metrics.Visits}}{{/unless}} "
        "{{/each}}"
    )
    assert text(source) == "Ana:3 Ana:3 "


def test_a_section_block_falls_back_too() -> None:
    assert text("{{#Location}}{{City}} {{Address}}{{/Location}}") == "Oslo ana@example.com"


def test_inline_partial_sees_its_context_then_the_caller_and_the_endpoint() -> None:
    source = (
        '{{#* inline "who"}}{{User.UserAttributes.FirstName}} in {{City}} likes {{this.City}}'
        "{{/inline}}"
        "{{#each Attributes.Interests}}{{> who ../Location}}; {{/each}}"
    )
    assert text(source) == "Ana in Oslo likes Oslo; Ana in Oslo likes Oslo; "


def test_inline_partial_without_a_context_param_takes_the_callers() -> None:
    source = (
        '{{#* inline "item"}}{{this}} for {{User.UserAttributes.FirstName}}{{/inline}}'
        "{{#each Attributes.Interests}}{{> item}}; {{/each}}"
    )
    assert text(source) == "gardening for Ana; cooking for Ana; "


def test_each_over_objects_then_the_root() -> None:
    data = {"Name": "root", "Items": [{"Name": "a"}, {"Other": 1}]}
    assert text("{{#each Items}}{{Name}} {{/each}}", data) == "a root "


@pytest.mark.parametrize("depth", [1, 2, 3, 5, 8])
def test_fallback_reaches_the_root_from_any_depth(depth: int) -> None:
    data: dict[str, Any] = {"Greeting": "hi", "Level": {}}
    inner = data["Level"]
    for _ in range(depth - 1):
        inner["Level"] = {}
        inner = inner["Level"]
    inner["Here"] = "deep"
    source = "{{#with Level}}" * depth + "{{Here}} {{Greeting}}" + "{{/with}}" * depth
    assert text(source, data) == "deep hi"


def test_the_nearest_context_wins() -> None:
    data = {"Name": "root", "Child": {"Name": "child", "Grandchild": {"Other": 1}}}
    source = "{{#with Child}}{{#with Grandchild}}{{Name}}{{/with}}{{/with}}"
    assert text(source, data) == "child"


def test_the_first_segment_decides_where_a_path_is_read() -> None:
    # The Mustache spec's context precedence: a nearer User without UserAttributes does
    # not fall through to the endpoint's.
    data = {**ENDPOINT, "Wrapper": {"User": {"UserId": "inner"}}}
    out, warnings = render("{{#with Wrapper}}[{{User.UserAttributes.FirstName}}]{{/with}}", data)
    assert out == "[]" and warnings
    assert text("{{#with Wrapper}}{{User.UserId}}{{/with}}", data) == "inner"


def test_this_and_dot_slash_stay_in_the_current_context() -> None:
    out, warnings = render("{{#with Location}}[{{this.Id}}][{{./Id}}][{{this.City}}]{{/with}}")
    assert out == "[][][Oslo]"
    assert len(warnings) == 2


def test_this_dot_name_is_a_value_never_a_helper() -> None:
    assert text("{{#with Location}}{{this.upper}}{{/with}}", {"Location": {"upper": "U"}}) == "U"


def test_parent_paths_start_one_context_out_then_fall_back() -> None:
    data = {"Name": "root", "A": {"B": {"C": 1}}}
    assert text("{{#with A}}{{#with B}}{{../Name}}{{/with}}{{/with}}", data) == "root"
    assert text("{{#with A}}{{#with B}}{{C}}{{/with}}{{/with}}", data) == "1"


def test_at_index_is_the_nearest_blocks() -> None:
    source = (
        "{{#each Attributes.Interests}}{{#with ../Location}}{{@index}}{{City}} {{/with}}{{/each}}"
    )
    assert text(source) == "0Oslo 1Oslo "
    data = {"Outer": [{"Inner": ["x", "y"]}]}
    nested = "{{#each Outer}}{{#each Inner}}{{@../index}}.{{@index}} {{/each}}{{/each}}"
    assert text(nested, data) == "0.0 0.1 "


def test_a_name_found_nowhere_renders_empty_with_a_warning() -> None:
    out, warnings = render("{{#each Attributes.Interests}}[{{Nope}}]{{/each}}")
    assert out == "[][]"
    assert len(warnings) == 1 and "Nope" in warnings[0]


# ---- standalone partial lines keep their indentation


PARTIAL_LIST = (
    '{{#* inline "list"}}\n{{#each Attributes.Interests}}\n- {{this}}\n{{/each}}\n{{/inline}}\n'
)


def test_a_standalone_partial_line_indents_every_line_of_the_partial() -> None:
    assert text(PARTIAL_LIST + "Items:\n    {{> list}}\nEnd") == (
        "Items:\n    - gardening\n    - cooking\nEnd"
    )


def test_a_partial_inside_a_line_is_not_indented() -> None:
    assert text(PARTIAL_LIST + "Items: {{> list}}End") == "Items: - gardening\n- cooking\nEnd"


def test_an_unindented_standalone_partial_line_is_unchanged() -> None:
    assert text(PARTIAL_LIST + "{{> list}}\nEnd") == "- gardening\n- cooking\nEnd"


def test_indentation_nests_and_values_are_not_reindented() -> None:
    source = (
        '{{#* inline "outer"}}\n'
        "<ul>\n"
        "  {{> inner}}\n"
        "</ul>\n"
        "{{/inline}}\n"
        '{{#* inline "inner"}}\n'
        "<li>{{Note}}</li>\n"
        "{{/inline}}\n"
        "<div>\n"
        "    {{> outer}}\n"
        "</div>"
    )
    data = {"Note": "two\nlines"}
    assert text(source, data) == ("<div>\n    <ul>\n      <li>two\nlines</li>\n    </ul>\n</div>")


def test_an_indented_partial_with_tabs_and_a_last_line_without_a_break() -> None:
    source = '{{#* inline "p"}}a\nb{{/inline}}\n\t{{> p}}\nz'
    # The first line break follows {{/inline}} on its line, so it stays.
    assert text(source, {}) == "\n\ta\n\tbz"


# ---- properties

_NAMES = ("Id", "Name", "Info", "Tags", "Items")
_PATHS = (
    "Id",
    "Name",
    "Info.City",
    "this",
    "../Name",
    "@index",
    "Tags",
    "Tags.[0]",
    "@root.Id",
    "Items.length",
)

_words = st.text(alphabet="abcxyz ", min_size=1, max_size=6)


def _objects(depth: int) -> st.SearchStrategy[dict[str, Any]]:
    """Objects shaped like a small endpoint: most fields present, some left out."""
    fields: dict[str, st.SearchStrategy[Any]] = {
        "Id": _words,
        "Name": _words,
        "Info": st.fixed_dictionaries({"City": _words}),
        "Tags": st.lists(_words, min_size=1, max_size=3),
    }
    if depth > 0:
        fields["Items"] = st.lists(_objects(depth - 1), min_size=1, max_size=2)
    return st.fixed_dictionaries({}, optional=fields) | st.fixed_dictionaries(fields)


def _mustache() -> st.SearchStrategy[str]:
    return st.sampled_from(_PATHS).map(lambda path: "{{" + path + "}}")


def _template(body: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    blocks = st.one_of(
        st.tuples(st.sampled_from(("Items", "Tags")), body).map(
            lambda t: f"{{{{#each {t[0]}}}}}{t[1]}{{{{/each}}}}"
        ),
        body.map(lambda b: "{{#with Info}}" + b + "{{/with}}"),
        st.tuples(st.sampled_from(_NAMES), body, body).map(
            lambda t: f"{{{{#if {t[0]}}}}}{t[1]}{{{{else}}}}{t[2]}{{{{/if}}}}"
        ),
        st.tuples(st.sampled_from(_NAMES), body).map(
            lambda t: f"{{{{#unless {t[0]}}}}}{t[1]}{{{{/unless}}}}"
        ),
        body.map(lambda b: "{{#Info}}" + b + "{{/Info}}"),
        st.just("{{> p}}"),
        st.just("\n  {{> p}}\n"),
    )
    return st.lists(st.one_of(_words, _mustache(), blocks), max_size=4).map("".join)


templates = st.recursive(
    st.lists(st.one_of(_words, _mustache()), max_size=3).map("".join), _template, max_leaves=12
)


@settings(max_examples=300, deadline=None)
@given(
    body=templates,
    partial=st.lists(st.one_of(_words, _mustache()), max_size=3).map("".join),
    data=_objects(2),
)
def test_where_the_block_local_lookup_found_every_name_the_output_is_unchanged(
    body: str, partial: str, data: dict[str, Any]
) -> None:
    source = '{{#* inline "p"}}' + partial + "{{/inline}}" + body
    reference = BlockLocalResolution()
    before = CompiledPart(source, resolution=reference).render(data)
    after = CompiledPart(source).render(data)
    if reference.misses == 0:
        assert after == before


_KEYS = ("A", "B", "C")


@settings(max_examples=200, deadline=None)
@given(
    stack=st.lists(
        st.dictionaries(st.sampled_from(_KEYS), _words.filter(str.strip), max_size=3),
        min_size=1,
        max_size=5,
    ),
    key=st.sampled_from(_KEYS),
)
def test_a_name_resolves_in_the_innermost_context_that_has_it(
    stack: list[dict[str, str]], key: str
) -> None:
    # The context stack built with nested with-blocks: stack[0] is the root.
    data: dict[str, Any] = dict(stack[0])
    inner = data
    for level in stack[1:]:
        inner["Next"] = dict(level)
        inner = inner["Next"]
    depth = len(stack) - 1
    source = "{{#with Next}}" * depth + "{{" + key + "}}" + "{{/with}}" * depth
    expected = next((level[key] for level in reversed(stack) if key in level), "")
    assert CompiledPart(source).render(data) == expected
