"""Independent check of a Common Services response signature.

usage: verify_es256.py HEADERS BODY

HEADERS holds one "name: value" line per header field. The script recomputes
the SHA-256 digest of BODY, rebuilds the JWS signing input of the JAdES
HttpHeaders mechanism with b64 false (BASE64URL(protected) "." then the
"name: value" lines of the sigD pars joined by newlines) and verifies the
ES256 signature with the key of the first x5c certificate, using the
OpenSSL-backed python3-cryptography package. Prints OK and exits 0 when all
holds, prints the reason and exits 1 otherwise.
"""
import base64
import hashlib
import json
import sys

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils


def b64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def main(headers_path, body_path):
    headers = {}
    with open(headers_path, encoding="ascii") as f:
        for line in f.read().splitlines():
            if line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
    with open(body_path, "rb") as f:
        body = f.read()

    digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    if headers.get("digest") != digest:
        return "digest header does not match the body"

    protected, payload, signature = headers["oots-response-sig"].split(".")
    if payload != "":
        return "payload is not detached"
    hdr = json.loads(b64url(protected))
    if hdr.get("alg") != "ES256" or hdr.get("b64") is not False:
        return "not ES256 with b64 false"
    if hdr["sigD"]["mId"] != "http://uri.etsi.org/19182/HttpHeaders":
        return "sigD is not the HttpHeaders mechanism"
    lines = [name + ": " + headers[name] for name in hdr["sigD"]["pars"]]
    signing_input = (protected + "." + "\n".join(lines)).encode("ascii")

    leaf = x509.load_der_x509_certificate(base64.b64decode(hdr["x5c"][0]))
    raw = b64url(signature)
    if len(raw) != 64:
        return "signature is not 64 bytes"
    der = utils.encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        leaf.public_key().verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return "ES256 signature does not verify"
    return None


if __name__ == "__main__":
    reason = main(sys.argv[1], sys.argv[2])
    if reason:
        print(reason)
        sys.exit(1)
    print("OK")
