"""``python -m wallet_cli``: the same as the ``ecert-wallet`` command."""

from wallet_cli.cli import main

main()
