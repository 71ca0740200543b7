"""``python -m registry …`` runs the registry CLI (the same commands as ``ecert registry …``)."""

from registry.cli import main

main()
