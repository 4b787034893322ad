"""Under CI no test may skip: tests/conftest.py turns every kind of skip into a failure that carries its
reason (a skip in a test's body, a skip marker, a module-level importorskip); outside CI, or with CI set
to a false value, a skip stays a skip. An expected failure (xfail) is no skip and keeps its outcome."""

from __future__ import annotations

import pytest

from tests.conftest import pytest_make_collect_report, pytest_runtest_makereport

REASONS = ("no frobnicator on this machine", "the marker says so", "could not import 'no_such_module_for_ci'")
SUITE = {
    "test_in_body": f"import pytest\n\ndef test_it():\n    pytest.skip({REASONS[0]!r})\n",
    "test_marker": f"import pytest\n\n@pytest.mark.skip(reason={REASONS[1]!r})\ndef test_it():\n    pass\n",
    "test_import": "import pytest\n\npytest.importorskip('no_such_module_for_ci')\n\ndef test_it():\n    pass\n",
    "test_fine": "import pytest\n\ndef test_passes():\n    pass\n\n"
                 "@pytest.mark.xfail(reason='known', strict=True)\ndef test_known_failure():\n    assert False\n",
}  # fmt: skip


class SuiteHooks:
    """The two hooks of tests/conftest.py, for a pytest run on another folder."""

    pytest_runtest_makereport = staticmethod(pytest_runtest_makereport)
    pytest_make_collect_report = staticmethod(pytest_make_collect_report)


def run_suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str | None) -> pytest.RunResult:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    pytester.makepyfile(**SUITE)
    return pytester.runpytest("-p", "no:cacheprovider", "-rA", "--continue-on-collection-errors",
                              plugins=[SuiteHooks()])


@pytest.mark.parametrize("ci", [None, "", "false", "0"])
def test_outside_ci_a_skip_stays_a_skip(pytester, monkeypatch, ci) -> None:
    result = run_suite(pytester, monkeypatch, ci)
    result.assert_outcomes(passed=1, skipped=3, xfailed=1)
    assert result.ret == pytest.ExitCode.OK


@pytest.mark.parametrize("ci", ["true", "1", "yes"])
def test_under_ci_every_skip_fails_with_its_reason(pytester, monkeypatch, ci) -> None:
    result = run_suite(pytester, monkeypatch, ci)
    # The body's skip fails the test; the marker's (at setup) and the import's (at collection) are errors.
    result.assert_outcomes(passed=1, failed=1, errors=2, xfailed=1)
    assert result.ret != pytest.ExitCode.OK
    for module, reason in zip(("test_in_body.py::test_it", "test_marker.py::test_it", "test_import.py"),
                              REASONS, strict=True):  # fmt: skip
        summary = [line for line in result.outlines if module in line and line.startswith(("FAILED", "ERROR"))]
        assert len(summary) == 1, result.outlines
        assert f"skipped under CI={ci}, where no test may skip" in summary[0] and reason in summary[0]
