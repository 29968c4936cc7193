"""Checking an ID token (OpenID Connect Core 3.1.3.7) before anyone is signed in on its word.

The signature is checked by joserfc against the issuer's published keys (JWKS), with only asymmetric
algorithms the issuer announces: `none` and HMAC (which would let the public key act as a shared secret)
are refused before any key is tried. Then iss, aud (our client id among them), azp (ours when present,
required when there are several audiences), exp, nbf and iat with a minute's leeway, sub, and the nonce
of this browser's sign-in. Each refusal is a Refusal with its own reason (refusals.py).
"""

import hmac
from collections.abc import Callable, Collection
from typing import Any

from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
    UnsupportedAlgorithmError,
)
from joserfc.jwk import KeySet

from shared.web_signin.refusals import Refusal

ASYMMETRIC = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"})
LEEWAY_S = 60
CLAIM_REASONS = {"iss": "wrong_issuer", "aud": "wrong_audience", "nbf": "token_not_yet_valid"}


def refused(reason: str, detail: str) -> Refusal:
    return Refusal(400, reason, detail)


def verify_signature(token: str, keys: KeySet, algorithms: Collection[str]) -> dict[str, Any]:
    """The claims of a token whose signature one of `keys` made."""
    try:
        return jwt.decode(token, keys, algorithms=list(algorithms)).claims
    except UnsupportedAlgorithmError:
        raise refused("unsupported_alg", "the ID token is not signed with an algorithm the issuer announced") from None
    except InvalidKeyIdError:
        raise refused("unknown_key", "the ID token names a key the issuer does not publish") from None
    except BadSignatureError:
        raise refused("bad_signature", "the ID token's signature does not verify") from None
    except (JoseError, ValueError):
        raise refused("malformed_token", "the ID token cannot be read") from None


def check_claims(claims: dict[str, Any], *, issuer: str, client_id: str, nonce: str, now: Callable[[], float]) -> None:
    registry = jwt.JWTClaimsRegistry(
        now=lambda: int(now()),
        leeway=LEEWAY_S,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        raise refused("token_expired", "the ID token has expired") from None
    except MissingClaimError as error:
        raise refused("missing_claim", f"the ID token lacks {error.claim}") from None
    except InvalidClaimError as error:
        claim = error.claim
        raise refused(CLAIM_REASONS.get(claim, "invalid_claim"), f"the ID token's {claim} is not acceptable") from None
    _check_azp(claims, client_id)
    if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"], nonce):
        raise refused("nonce_mismatch", "the ID token was not issued for this sign-in")


def _check_azp(claims: dict[str, Any], client_id: str) -> None:
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    azp = claims.get("azp")
    if (azp is None and len(audiences) > 1) or (azp is not None and azp != client_id):
        raise refused("wrong_azp", "the ID token was issued to another client")
