"""Independent signer of a Common Services answer, for Verify's tests.

usage: sign_es256.py < CONFIG

CONFIG is a JSON object: "key" (PKCS#8 PEM of an ECDSA P-256 key), "x5c"
(the chain, standard base64 DER certificates, signer first), "body" (the
answer body, as a string) and "iats", a list of iat values (JSON numbers,
kept as Python's json module reads and writes them: a fraction stays a
fraction), one signature each.

The script builds the JAdES HttpHeaders signature the way TDD 3.6.2 answers
carry it: the digest header (SHA-256 of the body), and a detached compact JWS
whose protected header (alg ES256, x5c, typ, b64 false, iat, sigD over
"digest", crit) Python's json module serializes, signed over
BASE64URL(protected) "." "digest: <value>" with the OpenSSL-backed
python3-cryptography package. It prints, per iat, a JSON object with the two header values, one a line.
"""
import base64
import hashlib
import json
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


def sign(key, x5c, body, iat):
    digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
    header = {
        "alg": "ES256",
        "x5c": x5c,
        "typ": "jose",
        "b64": False,
        "iat": iat,
        "sigD": {"mId": "http://uri.etsi.org/19182/HttpHeaders", "pars": ["digest"]},
        "crit": ["b64", "sigD"],
    }
    protected = b64url(json.dumps(header, separators=(",", ":")).encode("utf-8"))
    der = key.sign((protected + ".digest: " + digest).encode("ascii"), ec.ECDSA(hashes.SHA256()))
    r, s = utils.decode_dss_signature(der)
    sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return {"digest": digest, "oots-response-sig": protected + ".." + b64url(sig)}


def main():
    cfg = json.load(sys.stdin)
    key = serialization.load_pem_private_key(cfg["key"].encode("ascii"), password=None)
    for iat in cfg["iats"]:
        print(json.dumps(sign(key, cfg["x5c"], cfg["body"], iat)))


if __name__ == "__main__":
    main()
