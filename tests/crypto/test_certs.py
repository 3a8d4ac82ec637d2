"""Certificates, handles, fingerprints and revocation lists (HLP1 "Keys")."""

from __future__ import annotations

import pytest

from crypto.certs import (
    Certificate,
    fingerprint,
    make_certificate,
    make_revocation_list,
    verify_certificate,
    verify_revocation_list,
)
from crypto.errors import CryptoError

from .helpers import DAY, NOW, ORG_PUB, ORG_SEED, SAM, seed


def test_round_trip() -> None:
    cert = make_certificate(ORG_SEED, SAM.ik, NOW + 90 * DAY, "Sam · Équipe")
    assert verify_certificate(ORG_PUB, cert, NOW) == Certificate(
        SAM.ik, NOW + 90 * DAY, "Sam · Équipe", cert
    )


def test_validity_window_edges() -> None:
    cert = make_certificate(ORG_SEED, SAM.ik, NOW, "Sam")
    assert verify_certificate(ORG_PUB, cert, NOW).not_after == NOW  # the last valid second
    with pytest.raises(CryptoError, match="expired"):
        verify_certificate(ORG_PUB, cert, NOW + 1)
    far = make_certificate(ORG_SEED, SAM.ik, NOW + 90 * DAY + 1, "Sam")
    with pytest.raises(CryptoError, match="bad_cert"):
        verify_certificate(ORG_PUB, far, NOW)


def test_forged_certificate() -> None:
    forged = make_certificate(seed(0x12), SAM.ik, NOW + DAY, "Sam")
    with pytest.raises(CryptoError, match="bad_signature"):
        verify_certificate(ORG_PUB, forged, NOW)


@pytest.mark.parametrize(
    "handle",
    [
        "",
        "a" * 65,
        "é" * 33,
        "Cafe\u0301",
        "Sam\n",
        "Sam\x00",
        "Sam\u200b",
        "Sam\u2028",
        "Sam\u2029",
        "\u202eevil",
        "Sam\ud800",
    ],
)
def test_signing_tool_refuses_bad_handles(handle: str) -> None:
    with pytest.raises(CryptoError) as info:
        make_certificate(ORG_SEED, SAM.ik, NOW + DAY, handle)
    assert info.value.code == "bad_handle"


@pytest.mark.parametrize("handle", ["a", "a" * 64, "é" * 32, "Noor 🌱", "Ana-María", "李"])
def test_signing_tool_accepts_good_handles(handle: str) -> None:
    cert = make_certificate(ORG_SEED, SAM.ik, NOW + DAY, handle)
    assert verify_certificate(ORG_PUB, cert, NOW).handle == handle


def test_verifier_checks_only_length_and_utf8() -> None:
    """A verifier accepts a handle the signing tool would refuse (different Unicode tables)."""
    from crypto.encoding import lbl, u8, u64
    from crypto.primitives import ed25519_sign

    handle = "Cafe\u0301".encode()
    body = lbl("HLP1/cert") + SAM.ik + u64(NOW + DAY) + u8(len(handle)) + handle
    cert = body + ed25519_sign(ORG_SEED, body)
    assert verify_certificate(ORG_PUB, cert, NOW).handle == "Cafe\u0301"


def test_fingerprint_format() -> None:
    fp = fingerprint(ORG_PUB)
    groups = fp.split(" ")
    assert len(groups) == 8
    assert all(len(g) == 4 and g == g.lower() for g in groups)
    int(fp.replace(" ", ""), 16)


def test_revocation_list_sorts_and_checks() -> None:
    keys = [seed(9), seed(3), seed(9)]
    blob = make_revocation_list(ORG_SEED, NOW, NOW + 35 * DAY, keys)
    rl = verify_revocation_list(ORG_PUB, blob, NOW)
    assert rl.revoked == frozenset({seed(3), seed(9)})
    assert blob[33 : 33 + 32] == seed(3)  # sorted ascending as raw bytes
    with pytest.raises(CryptoError, match="bad_revocation_list"):
        make_revocation_list(ORG_SEED, NOW, NOW + 35 * DAY + 1, keys)
    with pytest.raises(CryptoError, match="bad_revocation_list"):
        make_revocation_list(ORG_SEED, NOW, NOW - 1, keys)


def test_revocation_list_currency_and_ordering() -> None:
    blob = make_revocation_list(ORG_SEED, NOW, NOW + 30 * DAY, [])
    verify_revocation_list(ORG_PUB, blob, NOW - 300)  # five minutes of clock skew
    verify_revocation_list(ORG_PUB, blob, NOW + 30 * DAY)
    for now in (NOW - 301, NOW + 30 * DAY + 1):
        with pytest.raises(CryptoError, match="stale_revocation_list"):
            verify_revocation_list(ORG_PUB, blob, now)
    verify_revocation_list(ORG_PUB, blob, NOW, newest_issued_at=NOW)
    with pytest.raises(CryptoError, match="stale_revocation_list"):
        verify_revocation_list(ORG_PUB, blob, NOW, newest_issued_at=NOW + 1)
    rl = verify_revocation_list(ORG_PUB, blob, NOW)
    rl.check_current(NOW)
    with pytest.raises(CryptoError, match="stale_revocation_list"):
        rl.check_current(NOW + 31 * DAY)


def test_empty_revocation_list_signed_by_someone_else() -> None:
    blob = make_revocation_list(seed(0x12), NOW, NOW + DAY, [])
    with pytest.raises(CryptoError, match="bad_signature"):
        verify_revocation_list(ORG_PUB, blob, NOW)
