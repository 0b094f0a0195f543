"""AI jobs: one question answered asynchronously inside a conversation, on a queue
in the state database."""
