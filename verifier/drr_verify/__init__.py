"""drr-verify: check the drr-notify audit ledger without trusting the service that keeps it.

It depends on `cryptography` only, so an oversight body can install it alone. The verifier is the
security boundary: every proof and signature is checked here, by code separate from the prover's.
"""
