"""CITATION.cff is valid YAML with the fields citation tools read, and cites this version."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_citation_metadata_is_complete_and_matches_the_package_version():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert cff["cff-version"] == "1.2.0"
    assert str(cff["version"]) == project["version"]
    assert cff["license"] == project["license"]["text"]
    for key in ("title", "abstract", "message", "authors", "keywords", "date-released"):
        assert cff[key], key
    assert all(a.get("name") or a.get("family-names") for a in cff["authors"])
    for ref in cff["references"]:  # each cited source has a title, an author and a type
        assert ref["title"] and ref["authors"] and ref["type"], ref
    assert "config and seed" in cff["message"]
