"""The verifier's routes: thin, each calling plain functions of :mod:`verifier.service`."""
