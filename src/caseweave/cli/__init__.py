"""The `caseweave` command line: Typer commands that call services directly, never the HTTP API."""
