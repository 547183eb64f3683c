"""The contract, as a property: whatever `check` accepts builds; whatever it refuses it names with file:line.

Workspaces are drawn over the documented schema (tests/workspaces.py). For each: `check` (in-process) must
not raise, and every problem it reports is located; when it reports no error, the build succeeds in both
formats; when it reports errors, the build refuses with a BriefingError. Nothing may end in an unexpected
exception (the CLI's "internal error").

Cost: a build takes about two seconds, so each example builds ONE audience, chosen by hypothesis, not all
four; over the examples every audience is drawn. CI runs a fixed, derandomized set of examples; to hunt for
bugs run more, e.g. `BRIEFING_CONTRACT_EXAMPLES=300 BRIEFING_CONTRACT_SEED=7 python -m pytest
tests/faults/test_contract.py` (without a seed: CI's fixed examples, and more of them).
"""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import HealthCheck, given, seed, settings

from briefing.build import build
from briefing.errors import BriefingError, errors_in
from briefing.inputs import load_workspace as load
from tests.workspaces import workspaces, write

EXAMPLES = int(os.environ.get("BRIEFING_CONTRACT_EXAMPLES", "30"))
SEED = os.environ.get("BRIEFING_CONTRACT_SEED")
LOCATED = re.compile(r"^(?P<path>[^\n]+?):(?P<line>[1-9]\d*):(?P<col>[1-9]\d*): (?P<severity>error|warning): \S[^\n]*$")

SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=not SEED, database=None, print_blob=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.filter_too_much])


def assert_located(problem) -> None:
    """One line, `path:line:col: severity: message`, with a real line and column."""
    text = str(problem)
    assert LOCATED.match(text), f"not a located message: {text!r}"
    assert "internal error" not in text and "Traceback" not in text, text


def check_contract(root, audience: str) -> None:
    """The rule, for one workspace and one audience."""
    _, problems = load(root)  # `check`: must not raise
    for p in problems:
        assert_located(p)
    errors = errors_in(problems)
    out = root / "out"
    if errors:
        with pytest.raises(BriefingError) as refused:
            build(root, audience=audience, out_dir=out)
        for p in refused.value.problems or (refused.value,):
            assert_located(p)
        return
    try:
        result = build(root, audience=audience, out_dir=out)
    except BriefingError as exc:
        pytest.fail(f"`check` is clean but the '{audience}' build fails: {exc}")
    for fmt in ("pdf", "docx"):
        assert (out / result.outputs[fmt].name).stat().st_size > 0


def seeded(test):
    """With BRIEFING_CONTRACT_SEED, a reproducible run other than CI's."""
    return seed(int(SEED))(test) if SEED else test


@seeded
@given(workspace=workspaces())
@SETTINGS
def test_check_clean_means_build_succeeds_and_errors_are_located(tmp_path_factory, workspace):
    """`check` clean => the build succeeds; `check` errors => located messages and a refused build."""
    files, audience = workspace
    root = write(tmp_path_factory.mktemp("contract") / "ws", files)
    check_contract(root, audience)


def test_the_generator_draws_both_clean_and_refused_workspaces(tmp_path_factory):
    """The property is not vacuous: a fair share of the drawn workspaces pass `check`, and many do not."""
    outcomes = []

    @given(workspace=workspaces())
    @settings(max_examples=40, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def draw(workspace):
        root = write(tmp_path_factory.mktemp("drawn") / "ws", workspace[0])
        outcomes.append(not errors_in(load(root)[1]))

    draw()
    assert len(outcomes) >= 30
    assert 0.25 <= sum(outcomes) / len(outcomes) <= 0.85, f"{sum(outcomes)} clean of {len(outcomes)}"
