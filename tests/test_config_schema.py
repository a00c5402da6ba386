"""The shipped JSON schema stays in step with the defaults and the README."""

from __future__ import annotations

from pathlib import Path

import jsonschema

from hwb.settings import environment
from hwb.settings import resolver as config

README = Path(__file__).parent.parent / "README.md"


def test_schema_is_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(config.schema())


def test_defaults_validate_against_schema() -> None:
    jsonschema.Draft202012Validator(config.schema()).validate(config.defaults())


def test_defaults_and_schema_list_the_same_keys_and_values() -> None:
    properties = config.schema()["properties"]
    defaults = config.defaults()
    assert set(defaults) == set(properties)
    for section, keys in defaults.items():
        if "properties" not in properties[section]:  # a map section: no fixed keys
            assert keys == {} and properties[section]["default"] == {}
            continue
        props = properties[section]["properties"]
        assert set(keys) == set(props), section
        for key, value in keys.items():
            assert props[key]["default"] == value, f"{section}.{key}"
            assert props[key].get("description"), f"{section}.{key} has no description"


def test_schema_rejects_unknown_keys() -> None:
    validator = jsonschema.Draft202012Validator(config.schema())
    assert not validator.is_valid({"build": {"outdri": "x"}})
    assert not validator.is_valid({"bild": {}})
    assert not validator.is_valid({"build": {"installer": "conda"}})


def test_readme_documents_every_key() -> None:
    text = README.read_text()
    for section, keys in config.defaults().items():
        if "properties" not in config.schema()["properties"][section]:
            entry = config.schema()["properties"][section]["additionalProperties"]["properties"]
            for key in entry:
                assert f"`{key}`" in text, (
                    f"README does not document [tool.hwb.{section}.NAME] {key}"
                )
            continue
        for key in keys:
            assert f"`{key}`" in text, f"README does not document [tool.hwb.{section}] {key}"
            assert f"`{environment.env_name(section, key)}`" in text, (
                f"README lacks {environment.env_name(section, key)}"
            )
