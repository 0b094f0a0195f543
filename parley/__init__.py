"""Parley: a self-hosted server for AI analytics conversations, compatible with Omni's AI API."""

__version__ = "0.1.0"
