"""Warehouse connections: the kinds Parley speaks to, and each organization's connections."""
