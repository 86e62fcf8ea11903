"""Command-line entry points (absl apps). Thin: parse flags, call the library, report."""
