"""Fixtures for the import tests: a policy, a fresh connection, and files written on the fly."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import duckdb
import pytest

from sla_core.policy import Policy, load_policy

from .helpers import ROOT


@pytest.fixture
def policy() -> Policy:
    return load_policy(ROOT / "sample_data" / "policy.yaml")


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, "str | bytes"], Path]:
    """write('name.csv', text or bytes) -> path in the test's temp dir."""

    def _write(name: str, content: "str | bytes") -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write
