"""Exercise checkers: the framework, the criteria exercises share, and how an exercise's parts are found.

A checker module (``exercises/<id>/checker.py``) imports ``Checker``, ``Criterion``,
``Context`` and ``Failure`` from here, and shared criteria from ``threeplanes.checking.criteria``.
"""

from threeplanes.checking.framework import Checker, Context, Criterion, Failure, Report, Result

__all__ = ["Checker", "Context", "Criterion", "Failure", "Report", "Result"]
