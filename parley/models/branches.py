"""Branches of a model: Omni's requests may name one; Parley's models have none."""

from __future__ import annotations

import uuid


def no_branch(branch_id: uuid.UUID, model_id: uuid.UUID) -> str:
    # Parley's models have no branches, so no branch id names one of them.
    return f"No branch {branch_id} of model {model_id}"
