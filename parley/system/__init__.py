"""Endpoints about the server and the caller rather than any domain."""
