"""Fuzz harnesses (atheris) for the parsers that read files and codes from strangers: see ``fuzz/README.md``."""
