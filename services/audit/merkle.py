"""RFC 6962 Merkle tree over stored subtree hashes, pure: proofs and roots in O(log n) node reads.

The store keeps the hash of every *perfect* subtree, keyed (level, index): level 0 holds the leaf
hashes, node (l, i) covers leaves [i*2^l, (i+1)*2^l). Any other subtree the RFC needs is the fold of
at most log2(n) of those. Verification lives apart, in the drr_verify package (the reader's side).
"""

import hashlib
from collections.abc import Callable, Iterable

Node = Callable[[int, int], bytes]
"""Reads a stored perfect-subtree hash by (level, index)."""
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree_hash(start: int, end: int, node: Node) -> bytes:
    """MTH(D[start:end]) for the subtrees the RFC recursion visits (start is aligned to the split)."""
    n = end - start
    if n == 0:
        return EMPTY_ROOT
    if n & (n - 1) == 0:
        return node(n.bit_length() - 1, start // n)
    k = _split(n)
    return node_hash(node(k.bit_length() - 1, start // k), subtree_hash(start + k, end, node))


def root(size: int, node: Node) -> bytes:
    return subtree_hash(0, size, node)


def inclusion_proof(index: int, size: int, node: Node) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 6962 section 2.1.1, leaf to root."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    proof: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            proof.append(subtree_hash(start + k, end, node))
            end = start + k
        else:
            proof.append(subtree_hash(start, start + k, node))
            start += k
    return proof[::-1]


def consistency_proof(old: int, new: int, node: Node) -> list[bytes]:
    """PROOF(old, D[0:new]) of RFC 6962 section 2.1.2; empty when old is 0 or equals new."""
    if not 0 <= old <= new:
        raise ValueError(f"no consistency proof from {old} to {new}")
    if old in (0, new):
        return []
    proof: list[bytes] = []
    start, end, complete = 0, new, True
    while old != end:
        k = _split(end - start)
        if old - start <= k:
            proof.append(subtree_hash(start + k, end, node))
            end = start + k
        else:
            proof.append(subtree_hash(start, start + k, node))
            start, complete = start + k, False
    if not complete:
        proof.append(subtree_hash(start, end, node))
    return proof[::-1]


def nodes_read(compute: Callable[[Node], object]) -> set[tuple[int, int]]:
    """The stored nodes `compute` reads (it runs on placeholder hashes), so a store can fetch them at once."""
    wanted: set[tuple[int, int]] = set()

    def record(level: int, index: int) -> bytes:
        wanted.add((level, index))
        return bytes(32)

    compute(record)
    return wanted


def new_nodes(size: int, leaves: Iterable[bytes], node: Node) -> list[tuple[int, int, bytes]]:
    """The (level, index, hash) rows of the perfect subtrees (level >= 1) completed when the leaf hashes
    `leaves` follow a tree of `size`. The leaf hashes themselves (level 0) are stored with their leaves;
    `node` is asked only for left siblings stored before this batch (at most log2(size) of them)."""
    rows: list[tuple[int, int, bytes]] = []
    fresh: dict[tuple[int, int], bytes] = {}
    for offset, leaf in enumerate(leaves):
        level, index, value = 0, size + offset, leaf
        fresh[level, index] = value
        while index & 1:
            left = fresh.get((level, index - 1)) or node(level, index - 1)
            level, index, value = level + 1, index >> 1, node_hash(left, value)
            rows.append((level, index, value))
            fresh[level, index] = value
    return rows
