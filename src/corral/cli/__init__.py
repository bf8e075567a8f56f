"""The command-line face of corral."""
