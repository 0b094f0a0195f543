"""Domain-free building blocks: time, tokens, cursors."""
