"""The synchronous AI query endpoints (generate-query, pick-topic): the assistant run on
one registered model, answered in the request."""
