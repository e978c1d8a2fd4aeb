"""The HTTP API: app factory, dependencies, error shape."""
