"""The browser UI: a chat page and conversation history, served beside the API."""

from parley.web.routes import router

__all__ = ["router"]
