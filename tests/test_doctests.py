"""The examples in pydl's docstrings are tests: each module's examples run here and must print what they show."""

import doctest
import importlib
import pkgutil

import pytest

import pydl

MODULES = sorted(info.name for info in pkgutil.walk_packages(pydl.__path__, "pydl."))


def _examples(module_name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(module_name)
    return [test for test in doctest.DocTestFinder().find(module, module_name) if test.examples]


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples_run_as_shown(module_name):
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    for test in _examples(module_name):
        runner.run(test, out=report.append)
    outcome = runner.summarize(verbose=False)
    assert outcome.failed == 0, "".join(report)


def test_the_docstrings_hold_examples_and_none_is_skipped():
    docstrings = [test for name in MODULES for test in _examples(name)]
    skipped = [f"{test.name}:{example.lineno}" for test in docstrings for example in test.examples
               if example.options.get(doctest.SKIP)]
    assert len(docstrings) >= 100 and skipped == []
