"""``python -m issuer …`` runs the issuer CLI (the same commands as ``ecert issuer …``)."""

from issuer.cli import main

main()
