"""Importer plugins, one module per format."""
