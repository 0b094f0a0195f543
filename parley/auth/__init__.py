"""Who is calling: the principal behind a bearer token, and what it may see."""
