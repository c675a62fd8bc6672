"""Fixtures of the interpreter tests."""

from __future__ import annotations

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from tests.workflows.helpers import Fakes, pyd_client


@pytest.fixture
def client(time_env: WorkflowEnvironment) -> Client:
    """A client of the time-skipping server using casework's data converter."""
    return pyd_client(time_env.client)


@pytest.fixture
def fakes() -> Fakes:
    """Fresh fake activities."""
    return Fakes()
