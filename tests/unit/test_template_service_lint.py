"""Templates are linted when they are created and updated (warnings beside the response,
the template stored all the same) and on demand, version by version."""

from __future__ import annotations

from pathlib import Path

import pytest

from clarion.bootstrap import Bootstrap
from clarion.bootstrap.settings import Settings
from clarion.domain.audience.endpoint import validate_endpoint
from clarion.services.templates import TemplateLinter

TYPO = "Hi {{User.UserAttributes.Firstname}}"
FIXED = "Hi {{User.UserAttributes.FirstName}}"
EMAIL = {"ChannelType": "EMAIL", "Address": "ana@example.com"}


@pytest.fixture
def boot(tmp_path: Path) -> Bootstrap:
    boot = Bootstrap(Settings(backend="local", home=tmp_path / "home"))
    boot.adapters.profile_store.put_endpoints(
        [
            validate_endpoint(
                {**EMAIL, "Id": "e-1", "User": {"UserAttributes": {"FirstName": ["Ana"]}}}
            )
        ]
    )
    return boot


def test_create_and_update_return_warnings_and_store_the_template(boot: Bootstrap) -> None:
    service = boot.template_service
    created = service.create_template("hi", "SMS", {"Body": TYPO})
    assert created["Warnings"] == [
        "Body line 1, column 4: `User.UserAttributes.Firstname`: no endpoint has it; did you "
        "mean `FirstName`?"
    ]
    assert service.get("hi", "SMS")["Body"] == TYPO

    fixed = service.update("hi", "SMS", {"Body": FIXED}, create_new_version=True)
    assert (fixed["Version"], fixed["Warnings"]) == ("2", [])


def test_lint_reports_any_version(boot: Bootstrap) -> None:
    service = boot.template_service
    service.create_template("hi", "SMS", {"Body": TYPO})
    service.update("hi", "SMS", {"Body": FIXED}, create_new_version=True)

    assert [f["Name"] for f in service.lint("hi", version=1)["Findings"]] == [
        "User.UserAttributes.Firstname"
    ]
    # The active version is still 1 until it is made active.
    assert service.lint("hi")["Version"] == "1"
    service.set_active_version("hi", "SMS", "latest")
    assert service.lint("hi")["Findings"] == []


def test_names_come_from_the_registry_as_it_is_now(boot: Bootstrap) -> None:
    service = boot.template_service
    service.create_template("tier", "SMS", {"Body": "{{Attributes.Tier}}"})
    assert service.lint("tier")["Findings"][0]["Kind"] == "UNKNOWN_ATTRIBUTE"
    boot.adapters.profile_store.put_endpoints(
        [validate_endpoint({**EMAIL, "Id": "e-2", "Attributes": {"Tier": ["Gold"]}})]
    )
    assert service.lint("tier")["Findings"] == []


def test_the_share_must_be_a_fraction(boot: Bootstrap) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        TemplateLinter(boot.adapters.profile_store, missing_share=5)
