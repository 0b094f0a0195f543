"""Names for JSON as it is stored in JSON columns and sent on the wire."""

from __future__ import annotations

from typing import Any, TypeAlias

# A JSON object: the shape of stored results, errors, progress, definitions and wire
# bodies. Its values are whatever JSON holds; code that reads one checks what it reads.
JsonObject: TypeAlias = dict[str, Any]
