"""An organization with its owner, an organization key and the owner's personal token."""

from __future__ import annotations

import pytest

from parley.db.database import Database
from tests.factories import Org, make_org


@pytest.fixture
async def org(database: Database) -> Org:
    return await make_org(database)
