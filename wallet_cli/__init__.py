"""``ecert-wallet``: the holder's wallet (encrypted store, offline verification, presentations)."""
