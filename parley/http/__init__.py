"""HTTP building blocks shared by every route: the error shape, middleware, request
bodies and query strings, and the JSON response."""
