"""One router module per resource; handlers stay thin and call :mod:`issuer.service`."""
