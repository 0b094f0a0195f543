"""Pure helpers with no database or HTTP in them: time, tokens, cursors, backoff, secrets."""
