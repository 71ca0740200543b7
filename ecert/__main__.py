"""``python -m ecert``."""

from ecert.cli import main

main()
