"""Fixtures of the benchmark tests: the interpreter tests' client, and fakes with the
catalog actions the 5-action process calls."""

from __future__ import annotations

import pytest

from tests.workflows.conftest import client
from tests.workflows.helpers import Fakes, ShippedFakes

__all__ = ["client", "fakes"]


@pytest.fixture
def fakes() -> Fakes:
    """Fresh fakes."""
    return ShippedFakes()
