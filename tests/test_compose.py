"""compose: the reproducible timestamps stamped on the outputs."""

from __future__ import annotations

import pytest
from conftest import BRIEFING, write_workspace

from briefing.build import build
from tests.readers import docx_text


@pytest.mark.parametrize("date", ["2108-01-01", "9999-12-31"])
def test_a_date_past_the_zip_range_builds_the_docx_and_is_printed(tmp_path, date):
    """The DOCX's ZIP stamps end in 2107 (pandoc failed on a later date); the briefing still prints its date."""
    root = write_workspace(tmp_path / "ws", briefing={**BRIEFING, "date": date})
    result = build(root, formats=("docx",))
    assert date[:4] in docx_text(root / "out" / result.outputs["docx"].name)
