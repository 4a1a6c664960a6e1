"""The checker framework, on criteria that need no cluster."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from kubernetes import client

from threeplanes.checking import Checker, Criterion, Failure


class FakeCore:
    def __init__(self, namespaces: set[str]) -> None:
        self.namespaces = namespaces

    def read_namespace(self, name: str):
        if name not in self.namespaces:
            raise client.ApiException(status=404, reason="Not Found")
        return SimpleNamespace(metadata=SimpleNamespace(name=name))


def fake_cluster(*namespaces: str):
    return SimpleNamespace(core=FakeCore(set(namespaces)), server="https://127.0.0.1:1")


def passes(ctx):
    return None


def fails(ctx):
    return Failure("saw three pods", "scale to four")


def test_all_criteria_met_passes() -> None:
    a = Criterion("a", passes)
    report = Checker("t", [a, Criterion("b", passes, needs=(a,))], settle=0).run(fake_cluster("ns"), "ns")
    assert report.passed
    assert [r.status for r in report.results] == ["pass", "pass", "pass"]
    assert "All criteria met." in str(report)


def test_a_failing_criterion_reports_what_it_saw_and_skips_its_dependents() -> None:
    a = Criterion("a", fails)
    checker = Checker("t", [a, Criterion("b", passes, needs=(a,)), Criterion("c", passes)], settle=0)
    report = checker.run(fake_cluster("ns"), "ns")
    assert not report.passed
    assert report.result("a").failure == Failure("saw three pods", "scale to four")
    assert report.result("b").status == "skipped"
    assert report.result("c").status == "pass"
    assert report.first_failure.name == "a"
    text = str(report)
    assert "✗ a" in text and "saw:  saw three pods" in text and "hint: scale to four" in text


def test_a_missing_namespace_fails_first_and_skips_everything_else() -> None:
    report = Checker("t", [Criterion("a", passes)], settle=0).run(fake_cluster(), "mine")
    assert report.results[0].status == "fail"
    assert "kubectl create namespace mine" in report.results[0].failure.hint
    assert report.result("a").status == "skipped"


def test_a_state_that_changes_between_the_two_looks_does_not_pass() -> None:
    looks = iter([None, Failure("2 of 4 ready", "wait")])
    report = Checker("t", [Criterion("flaky", lambda ctx: next(looks))], settle=0).run(fake_cluster("ns"), "ns")
    assert not report.passed
    assert "changed between two looks" in report.result("flaky").failure.saw


def test_an_api_error_becomes_a_failure_not_a_crash() -> None:
    def boom(ctx):
        raise client.ApiException(status=403, reason="Forbidden")

    report = Checker("t", [Criterion("a", boom)], settle=0).run(fake_cluster("ns"), "ns")
    assert "403 Forbidden" in report.result("a").failure.saw


def test_needs_must_name_earlier_criteria() -> None:
    b = Criterion("b", passes)
    with pytest.raises(ValueError, match="needs"):
        Checker("t", [Criterion("a", passes, needs=(b,)), b])


def test_two_criteria_may_not_share_a_name() -> None:
    with pytest.raises(ValueError, match="share a name"):
        Checker("t", [Criterion("a", passes), Criterion("a", fails)])


def test_the_report_renders_as_html_with_escaped_text() -> None:
    report = Checker("<t>", [Criterion("a", lambda ctx: Failure("<pod>", "x & y"))], settle=0).run(
        fake_cluster("ns"), "ns"
    )
    html = report._repr_html_()
    assert "&lt;pod&gt;" in html and "x &amp; y" in html and "check-fail" in html
