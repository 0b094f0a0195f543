"""Talking to a language model behind an OpenAI-compatible endpoint: limits on calls in
flight, retries, the circuit breaker, token accounting, and the checks on what the model
writes."""
