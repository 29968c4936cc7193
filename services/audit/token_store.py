"""Oversight tokens in the audit database: one row per issued token, one row per revocation.

Both tables only grow (the databases' triggers refuse UPDATE and DELETE), so a revocation is a row of its
own, never a change to the token's. Only a token's SHA-256 is kept. Columns added after the first release
(`expires_at`, `agencies`: schema.ADDED_COLUMNS) are NULL on older rows: tokens.py says what that means.
"""

from dataclasses import dataclass

from services.audit.database import Database

SELECT = (
    "SELECT t.token_sha256, t.name, t.issued_at, t.expires_at, t.agencies, r.revoked_at FROM oversight_tokens t "
    "LEFT JOIN oversight_token_revocations r ON r.token_sha256 = t.token_sha256"
)


@dataclass(frozen=True)
class StoredToken:
    token_sha256: str
    name: str
    issued_at: str
    expires_at: str | None
    """None on tokens issued before tokens expired."""
    agencies: str | None
    """Comma-separated agencies the token is limited to; None: every case."""
    revoked_at: str | None


class TokenTables:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(
        self,
        *,
        token_sha256: str,
        name: str,
        issued_at: str,
        expires_at: str | None = None,
        agencies: str | None = None,
    ) -> None:
        insert = (
            "INSERT INTO oversight_tokens (token_sha256, name, issued_at, expires_at, agencies) "
            "VALUES (:digest, :name, :at, :expires_at, :agencies)"
        )
        with self._db.write() as db:
            values = {"digest": token_sha256, "name": name, "at": issued_at}
            self._db.run(db, insert, {**values, "expires_at": expires_at, "agencies": agencies})

    def get(self, token_sha256: str) -> StoredToken | None:
        with self._db.connect() as db:
            row = self._db.run(db, f"{SELECT} WHERE t.token_sha256 = :digest", {"digest": token_sha256}).fetchone()
            return None if row is None else StoredToken(*row)

    def all(self) -> list[StoredToken]:
        """Every token ever issued, oldest first."""
        with self._db.connect() as db:
            return [StoredToken(*row) for row in self._db.run(db, f"{SELECT} ORDER BY t.issued_at, t.token_sha256")]

    def revoke(self, *, token_sha256: str, revoked_at: str) -> bool:
        """Record the revocation; False when the token was revoked already (the first revocation stands)."""
        with self._db.write() as db:
            query = "SELECT 1 FROM oversight_token_revocations WHERE token_sha256 = :digest"
            if self._db.run(db, query, {"digest": token_sha256}).fetchone() is not None:
                return False
            insert = "INSERT INTO oversight_token_revocations (token_sha256, revoked_at) VALUES (:digest, :at)"
            self._db.run(db, insert, {"digest": token_sha256, "at": revoked_at})
            return True
