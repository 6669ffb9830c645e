"""A value that does not fit its datatype gets a one-line answer from every command, never a crash."""
from __future__ import annotations

import pytest

BAD_DECIMAL = """\
@prefix allkg: <https://w3id.org/allkg/vocab/> .
@prefix all: <https://w3id.org/allkg/id/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
all:stat_moffitt_new_cases allkg:value "about a thousand"^^xsd:decimal .
"""


@pytest.fixture
def bad_decimal_file(tmp_path):
    path = tmp_path / "extension.ttl"
    path.write_text(BAD_DECIMAL, encoding="utf-8")
    return path


@pytest.mark.java
def test_reason_names_the_ill_typed_value(allkg, built_dist, bad_decimal_file):
    result = allkg("reason", "--no-write", str(bad_decimal_file), env={"ALLKG_DIST": str(built_dist)})
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "Warning" not in result.stderr
    assert 'all:stat_moffitt_new_cases allkg:value "about a thousand"^^xsd:decimal' in result.stderr


def test_validate_reports_the_ill_typed_value_as_a_violation(allkg, built_dist, bad_decimal_file):
    result = allkg("validate", "--with-built", str(bad_decimal_file), env={"ALLKG_DIST": str(built_dist)})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "UserWarning" not in result.stderr
    assert "about a thousand" in result.stdout
