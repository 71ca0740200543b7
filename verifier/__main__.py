"""``python -m verifier …`` runs the verifier CLI (the same commands as ``ecert verifier …``)."""

from verifier.cli import main

main()
