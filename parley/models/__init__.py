"""Semantic models registered to an organization, with the warehouse each one reads."""
