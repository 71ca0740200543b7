"""The verifier service: checks credentials and presentations against its own replica of the
registry chain, with no network call while it verifies (DESIGN §2, §5). See ``README.md``."""
