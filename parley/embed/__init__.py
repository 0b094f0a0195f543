"""Embedding the chat page in an organization's own application: embed users, signed-in
sessions made by the organization's backend, and the SCIM directory of members."""

from parley.embed.endpoints import router
from parley.embed.scim import router as scim_router

__all__ = ["router", "scim_router"]
