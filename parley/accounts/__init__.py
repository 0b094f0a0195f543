"""Organizations, their members and their API keys."""
