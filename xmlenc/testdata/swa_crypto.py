#!/usr/bin/python3
"""Independent check of the attachment encryption of oots (test helper).

Built only on Debian python3-cryptography (OpenSSL) and the standard library;
it reads and writes the XML Encryption 1.1 elements itself.

  swa_crypto.py decrypt ENCRYPTED_KEY.xml PRIVATE_KEY.pem CIPHER_PART OUT
      ENCRYPTED_KEY.xml holds an xenc:EncryptedKey (or any document containing
      exactly one); CIPHER_PART is IV || ciphertext || tag (AES-128-GCM).
  swa_crypto.py encrypt RECIPIENT_CERT.pem PLAIN OUT_KEY.xml OUT_CIPHER [MGF [DIGEST]]
      writes an xenc:EncryptedKey (RSA-OAEP MGF1-SHA256 SHA-256, or X25519 +
      HKDF-SHA256 + kw-aes128, chosen by the certificate's key) and the
      encrypted part. MGF, for an RSA key, is mgf1sha256 (the default),
      mgf1sha1, or none: no xenc11:MGF element, which means MGF1 with SHA-1
      (XML Encryption 1.1 section 5.5.2). DIGEST is the OAEP digest: sha256
      (the default), sha1, sha384, sha512, or none: no ds:DigestMethod
      element, which means SHA-1 (the same section).
"""
import base64
import os
import sys
import xml.etree.ElementTree as ET

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_wrap

XENC = "http://www.w3.org/2001/04/xmlenc#"
XENC11 = "http://www.w3.org/2009/xmlenc11#"
DS = "http://www.w3.org/2000/09/xmldsig#"
DS11 = "http://www.w3.org/2009/xmldsig11#"
MORE = "http://www.w3.org/2021/04/xmldsig-more#"
RSA_OAEP = XENC11 + "rsa-oaep"
MGF1_SHA256 = XENC11 + "mgf1sha256"
MGF1_SHA1 = XENC11 + "mgf1sha1"
MGF_HASH = {MGF1_SHA256: hashes.SHA256, MGF1_SHA1: hashes.SHA1}
SHA256 = XENC + "sha256"
# The digests of XML Encryption 1.1 section 5.7, by the names DIGEST takes.
DIGESTS = {
    "sha1": ("http://www.w3.org/2000/09/xmldsig#sha1", hashes.SHA1),
    "sha256": (SHA256, hashes.SHA256),
    "sha384": ("http://www.w3.org/2001/04/xmldsig-more#sha384", hashes.SHA384),
    "sha512": ("http://www.w3.org/2001/04/xmlenc#sha512", hashes.SHA512),
}
DIGEST_HASH = {uri: h for uri, h in DIGESTS.values()}
KW_AES128 = XENC + "kw-aes128"
X25519 = MORE + "x25519"
HKDF_URI = MORE + "hkdf"
HMAC_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"


def q(ns, local):
    return "{%s}%s" % (ns, local)


def one(el, ns, local):
    found = el.findall(q(ns, local))
    if len(found) != 1:
        raise SystemExit("expected one %s in %s, found %d" % (local, el.tag, len(found)))
    return found[0]


def b64(el):
    return base64.b64decode("".join(el.text.split()))


def decrypt(key_xml, key_pem, cipher_file, out_file):
    root = ET.parse(key_xml).getroot()
    eks = [root] if root.tag == q(XENC, "EncryptedKey") else list(root.iter(q(XENC, "EncryptedKey")))
    if len(eks) != 1:
        raise SystemExit("expected one EncryptedKey, found %d" % len(eks))
    ek = eks[0]
    priv = serialization.load_pem_private_key(open(key_pem, "rb").read(), password=None)
    method = one(ek, XENC, "EncryptionMethod")
    alg = method.get("Algorithm")
    wrapped = b64(one(one(ek, XENC, "CipherData"), XENC, "CipherValue"))
    if alg == RSA_OAEP:
        dms = method.findall(q(DS, "DigestMethod"))
        if len(dms) > 1:
            raise SystemExit("more than one rsa-oaep digest")
        digest = dms[0].get("Algorithm") if dms else DIGESTS["sha1"][0]  # the default, section 5.5.2
        if digest not in DIGEST_HASH:
            raise SystemExit("rsa-oaep digest %s unknown" % digest)
        mgfs = method.findall(q(XENC11, "MGF"))
        if len(mgfs) > 1:
            raise SystemExit("more than one rsa-oaep mgf")
        mgf = mgfs[0].get("Algorithm") if mgfs else MGF1_SHA1  # the default, XML Encryption 1.1 section 5.5.2
        if mgf not in MGF_HASH:
            raise SystemExit("rsa-oaep mgf %s unknown" % mgf)
        cek = priv.decrypt(wrapped, padding.OAEP(mgf=padding.MGF1(MGF_HASH[mgf]()), algorithm=DIGEST_HASH[digest](), label=None))
    elif alg == KW_AES128:
        am = one(one(ek, DS, "KeyInfo"), XENC, "AgreementMethod")
        if am.get("Algorithm") != X25519:
            raise SystemExit("agreement is not x25519")
        kdm = one(am, XENC11, "KeyDerivationMethod")
        if kdm.get("Algorithm") != HKDF_URI:
            raise SystemExit("key derivation is not hkdf")
        p = one(kdm, MORE, "HKDFParams")
        if one(p, MORE, "PRF").get("Algorithm") != HMAC_SHA256:
            raise SystemExit("hkdf prf is not hmac-sha256")
        salt = b64(one(p, MORE, "Salt"))
        info = b64(one(p, MORE, "Info"))
        length = int(one(p, MORE, "KeyLength").text)  # octets
        spki = b64(one(one(am, XENC, "OriginatorKeyInfo"), DS11, "DEREncodedKeyValue"))
        originator = serialization.load_der_public_key(spki)
        shared = priv.exchange(originator)
        kek = HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(shared)
        cek = aes_key_unwrap(kek, wrapped)
    else:
        raise SystemExit("unknown key method " + str(alg))
    data = open(cipher_file, "rb").read()
    plain = AESGCM(cek).decrypt(data[:12], data[12:], None)
    open(out_file, "wb").write(plain)


def encrypt(cert_pem, plain_file, out_key, out_cipher, mgf="mgf1sha256", digest="sha256"):
    cert = x509.load_pem_x509_certificate(open(cert_pem, "rb").read())
    pub = cert.public_key()
    cek = AESGCM.generate_key(bit_length=128)
    ET.register_namespace("xenc", XENC)
    ET.register_namespace("xenc11", XENC11)
    ET.register_namespace("ds", DS)
    ET.register_namespace("dsig11", DS11)
    ET.register_namespace("dsig-more", MORE)
    ek = ET.Element(q(XENC, "EncryptedKey"), {"Id": "EK-python"})
    if isinstance(pub, rsa.RSAPublicKey):
        m = ET.SubElement(ek, q(XENC, "EncryptionMethod"), {"Algorithm": RSA_OAEP})
        if digest == "none":
            digest_hash = hashes.SHA1  # no DigestMethod element: SHA-1
        else:
            ET.SubElement(m, q(DS, "DigestMethod"), {"Algorithm": DIGESTS[digest][0]})
            digest_hash = DIGESTS[digest][1]
        if mgf == "none":
            mgf_hash = hashes.SHA1  # no MGF element: MGF1 with SHA-1
        else:
            ET.SubElement(m, q(XENC11, "MGF"), {"Algorithm": XENC11 + mgf})
            mgf_hash = MGF_HASH[XENC11 + mgf]
        wrapped = pub.encrypt(cek, padding.OAEP(mgf=padding.MGF1(mgf_hash()), algorithm=digest_hash(), label=None))
    elif isinstance(pub, x25519.X25519PublicKey):
        ET.SubElement(ek, q(XENC, "EncryptionMethod"), {"Algorithm": KW_AES128})
        eph = x25519.X25519PrivateKey.generate()
        salt, info = os.urandom(32), b"python helper"
        kek = HKDF(algorithm=hashes.SHA256(), length=16, salt=salt, info=info).derive(eph.exchange(pub))
        wrapped = aes_key_wrap(kek, cek)
        ki = ET.SubElement(ek, q(DS, "KeyInfo"))
        am = ET.SubElement(ki, q(XENC, "AgreementMethod"), {"Algorithm": X25519})
        kdm = ET.SubElement(am, q(XENC11, "KeyDerivationMethod"), {"Algorithm": HKDF_URI})
        p = ET.SubElement(kdm, q(MORE, "HKDFParams"))
        ET.SubElement(p, q(MORE, "PRF"), {"Algorithm": HMAC_SHA256})
        ET.SubElement(p, q(MORE, "Salt")).text = base64.b64encode(salt).decode()
        ET.SubElement(p, q(MORE, "Info")).text = base64.b64encode(info).decode()
        ET.SubElement(p, q(MORE, "KeyLength")).text = "16"
        oki = ET.SubElement(am, q(XENC, "OriginatorKeyInfo"))
        spki = eph.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        ET.SubElement(oki, q(DS11, "DEREncodedKeyValue")).text = base64.b64encode(spki).decode()
        ET.SubElement(am, q(XENC, "RecipientKeyInfo"))
    else:
        raise SystemExit("unsupported recipient key")
    cd = ET.SubElement(ek, q(XENC, "CipherData"))
    ET.SubElement(cd, q(XENC, "CipherValue")).text = base64.b64encode(wrapped).decode()
    ET.ElementTree(ek).write(out_key, encoding="UTF-8", xml_declaration=True)
    iv = os.urandom(12)
    open(out_cipher, "wb").write(iv + AESGCM(cek).encrypt(iv, open(plain_file, "rb").read(), None))


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "decrypt":
        decrypt(*sys.argv[2:])
    elif len(sys.argv) in (6, 7, 8) and sys.argv[1] == "encrypt":
        encrypt(*sys.argv[2:])
    else:
        raise SystemExit(__doc__)
