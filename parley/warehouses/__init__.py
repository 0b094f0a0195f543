"""What Parley knows of each kind of warehouse, below both the assistant (which compiles
and runs queries on them) and connections (which stores them)."""
