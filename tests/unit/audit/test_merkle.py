"""The Merkle tree against the Certificate Transparency known answers, and forged proofs rejected.

The vectors are those of transparency-dev/merkle (proof/verify_test.go, rfc6962/rfc6962_test.go):
eight leaves, the root of each prefix, and the inclusion and consistency proofs the Go reference
produces. Our prover must produce exactly those proofs; our verifier (drr_verify) must accept them
and refuse every corruption the reference's tests try.
"""

import hashlib

import pytest
from drr_verify.proofs import Accumulator, verify_consistency, verify_inclusion

from services.audit import merkle

LEAVES = [bytes.fromhex(h) for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                     "606162636465666768696a6b6c6d6e6f"]]  # fmt: skip
ROOTS = [bytes.fromhex(h) for h in [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]]  # fmt: skip
H = {
    "96a2": "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "5f08": "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "6b47": "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    "bc1a": "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "ca85": "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    "d37e": "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "fac5": "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "6e34": "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "0ebc": "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    "b086": "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
}
INCLUSION = [  # (1-based leaf, tree size, proof) as in the reference
    (1, 1, []),
    (1, 8, ["96a2", "5f08", "6b47"]),
    (6, 8, ["bc1a", "ca85", "d37e"]),
    (3, 3, ["fac5"]),
    (2, 5, ["6e34", "5f08", "bc1a"]),
]
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a2", "5f08", "6b47"]),
    (6, 8, ["0ebc", "ca85", "d37e"]),
    (2, 5, ["5f08", "bc1a"]),
    (6, 7, ["0ebc", "b086", "d37e"]),
]
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def _store(leaves: list[bytes]) -> merkle.Node:
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
    rows = merkle.new_nodes(0, hashes, lambda level, index: b"")
    nodes = {(level, index): value for level, index, value in rows} | {(0, i): h for i, h in enumerate(hashes)}
    return lambda level, index: nodes[level, index]


def _proof(names: list[str]) -> list[bytes]:
    return [bytes.fromhex(H[name]) for name in names]


def _reference_root(hashes: list[bytes]) -> bytes:
    """MTH exactly as RFC 6962 section 2.1 defines it, recursively."""
    if len(hashes) == 1:
        return hashes[0]
    k = 1 << ((len(hashes) - 1).bit_length() - 1)
    return merkle.node_hash(_reference_root(hashes[:k]), _reference_root(hashes[k:]))


def test_rfc6962_hashing_known_answers() -> None:
    assert merkle.EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert merkle.leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert merkle.leaf_hash(b"L123456").hex() == "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    node = merkle.node_hash(b"N123", b"N456").hex()
    assert node == "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"


def test_roots_of_every_prefix_match_the_reference() -> None:
    node = _store(LEAVES)
    assert [merkle.root(size, node) for size in range(1, 9)] == ROOTS
    assert merkle.root(0, node) == hashlib.sha256(b"").digest()


@pytest.mark.parametrize(("leaf", "size", "names"), INCLUSION)
def test_inclusion_proofs_are_the_reference_proofs_and_verify(leaf: int, size: int, names: list[str]) -> None:
    proof = merkle.inclusion_proof(leaf - 1, size, _store(LEAVES))
    assert proof == _proof(names)
    assert verify_inclusion(leaf - 1, size, merkle.leaf_hash(LEAVES[leaf - 1]), proof, ROOTS[size - 1])


@pytest.mark.parametrize(("old", "new", "names"), CONSISTENCY)
def test_consistency_proofs_are_the_reference_proofs_and_verify(old: int, new: int, names: list[str]) -> None:
    proof = merkle.consistency_proof(old, new, _store(LEAVES))
    assert proof == _proof(names)
    assert verify_consistency(old, new, ROOTS[old - 1], ROOTS[new - 1], proof)


def _forged_inclusions(index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes) -> list[tuple]:  # type: ignore[type-arg]
    forged = [
        (index - 1, size, leaf, proof, root), (index + 1, size, leaf, proof, root),
        (index ^ 2, size, leaf, proof, root), (index, size * 2, leaf, proof, root),
        (index, size // 2, leaf, proof, root), (index, size, b"WrongLeaf", proof, root),
        (index, size, leaf, proof, merkle.EMPTY_ROOT), (index, size, leaf, proof, SOME_HASH),
        (index, size, leaf, [*proof, b""], root), (index, size, leaf, [*proof, root], root),
        (index, size, leaf, [b"", *proof], root), (index, size, leaf, [root, *proof], root),
    ]  # fmt: skip
    for i in range(len(proof)):
        flipped = bytes([proof[i][0] ^ 8]) + proof[i][1:]
        forged.append((index, size, leaf, [*proof[:i], flipped, *proof[i + 1 :]], root))
    if proof:
        forged.append((index, size, leaf, proof[:-1], root))
    if len(proof) > 1:
        forged.append((index, size, leaf, [proof[0], SOME_HASH, *proof[1:]], root))
    return forged


@pytest.mark.parametrize(("leaf", "size", "names"), INCLUSION)
def test_forged_inclusion_proofs_are_rejected(leaf: int, size: int, names: list[str]) -> None:
    good = (leaf - 1, size, merkle.leaf_hash(LEAVES[leaf - 1]), _proof(names), ROOTS[size - 1])
    for forged in _forged_inclusions(*good):
        assert not verify_inclusion(*forged), forged


@pytest.mark.parametrize(("old", "new", "names"), [c for c in CONSISTENCY if c[2]])
def test_forged_consistency_proofs_are_rejected(old: int, new: int, names: list[str]) -> None:
    r1, r2, proof = ROOTS[old - 1], ROOTS[new - 1], _proof(names)
    forged = [
        (old - 1, new, r1, r2, proof), (old + 1, new, r1, r2, proof), (old ^ 2, new, r1, r2, proof),
        (old, new * 2, r1, r2, proof), (old, new // 2, r1, r2, proof), (old, new, b"WrongRoot", r2, proof),
        (old, new, r1, b"WrongRoot", proof), (old, new, r2, r1, proof), (old, new, r1, r2, []),
        (old, new, r1, r2, [*proof, b""]), (old, new, r1, r2, [*proof, r1]), (old, new, r1, r2, [*proof, r2]),
        (old, new, r1, r2, [b"", *proof]), (old, new, r1, r2, [r1, *proof]), (old, new, r1, r2, [r2, *proof]),
        (old, new, r1, r2, [proof[0], *proof]), (old, new, r1, r2, proof[:-1]),
    ]  # fmt: skip
    for i in range(len(proof)):
        flipped = bytes([proof[i][0] ^ 16]) + proof[i][1:]
        forged.append((old, new, r1, r2, [*proof[:i], flipped, *proof[i + 1 :]]))
    for args in forged:
        assert not verify_consistency(*args), args


@pytest.mark.parametrize(
    ("old", "new", "r1", "r2", "proof", "ok"),
    [
        (0, 0, b"1" * 32, b"1" * 32, [], True),
        (0, 1, b"1" * 32, b"2" * 32, [], True),
        (1, 1, b"2" * 32, b"2" * 32, [], True),
        (0, 0, b"1" * 32, b"2" * 32, [], False),
        (1, 1, b"1" * 32, b"2" * 32, [], False),
        (1, 0, b"1" * 32, b"2" * 32, [], False),
        (2, 1, b"1" * 32, b"2" * 32, [], False),
        (1, 2, b"1" * 32, b"2" * 32, [], False),
        (0, 1, merkle.EMPTY_ROOT, merkle.EMPTY_ROOT, [merkle.EMPTY_ROOT], False),
        (1, 1, merkle.EMPTY_ROOT, merkle.EMPTY_ROOT, [merkle.EMPTY_ROOT], False),
    ],
)
def test_trivial_consistency_cases(old: int, new: int, r1: bytes, r2: bytes, proof: list[bytes], ok: bool) -> None:
    assert verify_consistency(old, new, r1, r2, proof) is ok


def test_every_proof_verifies_on_larger_irregular_trees() -> None:
    """Beyond the vectors: all sizes up to 40, every leaf and every older size, plus the accumulator."""
    leaves = [f"leaf {i}".encode() for i in range(40)]
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
    node, accumulator = _store(leaves), Accumulator()
    for size in range(1, 41):
        accumulator.add(hashes[size - 1])
        root = merkle.root(size, node)
        assert root == _reference_root(hashes[:size]) == accumulator.root()
        for index in range(size):
            assert verify_inclusion(index, size, hashes[index], merkle.inclusion_proof(index, size, node), root)
        for old in range(size + 1):
            old_root = merkle.root(old, node)
            assert verify_consistency(old, size, old_root, root, merkle.consistency_proof(old, size, node))


def test_nodes_added_in_batches_equal_nodes_added_one_by_one() -> None:
    hashes = [merkle.leaf_hash(bytes([i])) for i in range(23)]
    stored: dict[tuple[int, int], bytes] = {}
    size = 0
    for batch in (hashes[:5], hashes[5:6], hashes[6:20], hashes[20:]):
        rows = merkle.new_nodes(size, batch, lambda level, index: stored[level, index])
        assert all(level >= 1 for level, _, _ in rows)  # leaf hashes are stored with their leaves
        stored.update({(level, index): value for level, index, value in rows})
        stored.update({(0, size + i): value for i, value in enumerate(batch)})
        size += len(batch)
    one_shot = merkle.new_nodes(0, hashes, lambda level, index: b"")
    leaf_level = {(0, index): value for index, value in enumerate(hashes)}
    assert stored == {(level, index): value for level, index, value in one_shot} | leaf_level


def test_nodes_read_names_the_stored_subtrees_a_proof_uses() -> None:
    # Leaf 0 of 8: its sibling leaf 1, then the perfect subtrees [2, 4) and [4, 8).
    assert merkle.nodes_read(lambda node: merkle.inclusion_proof(0, 8, node)) == {(0, 1), (1, 1), (2, 1)}
