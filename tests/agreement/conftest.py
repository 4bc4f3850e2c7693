"""What the agreement tests share: running the command line in-process, and the bundled policy."""

from __future__ import annotations

from typing import Callable

import pytest

from sla_core.cli import main
from sla_core.policy import Policy, load_policy
from tests.conftest import SAMPLE_POLICY

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Run:
    """`python -m sla_core ARGS` in this process: (exit code, stdout, stderr)."""

    def run(*args: object) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture(scope="module")
def sample_policy() -> Policy:
    return load_policy(SAMPLE_POLICY)
