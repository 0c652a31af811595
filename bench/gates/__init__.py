"""The gates: comparing two stores (the regression check, reference sets) and reproducing the seed papers."""
