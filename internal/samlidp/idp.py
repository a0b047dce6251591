"""An eIDAS-like SAML 2.0 identity provider for tests, on pysaml2 (Debian's
python3-pysaml2) and xmlsec1: it answers signed AuthnRequests (HTTP-POST or
HTTP-Redirect) after a login form, with signed responses carrying a signed,
encrypted assertion with eIDAS attribute names and the account's level of
assurance. pysaml2 does the protocol, xmlsec1 the signatures and the
encryption; this script only chooses the algorithms eIDAS asks for and
serves HTTP.

Usage: python3 idp.py CONFIG.json; prints "listening" when ready.
"""

import copy
import functools
import html
import json
import os
import sys
import threading
import urllib.parse
from socketserver import ThreadingMixIn
from wsgiref.simple_server import make_server, WSGIRequestHandler, WSGIServer

import saml2.entity
import saml2.sigver
import saml2.xmldsig as ds
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entities_descriptor, entity_descriptor, sign_entity_descriptor
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server
from saml2.sigver import security_context

conf = json.load(open(sys.argv[1]))

# Algorithms (eIDAS Cryptographic Requirements): ECDSA-SHA256 signatures,
# AES-256-GCM for the assertion, RSA-OAEP for its key. pysaml2's default
# lists are older (RSA, 3DES-CBC): these lines choose, xmlsec1 does the work.
ds.SIG_ALLOWED_ALG = ds.SIG_ALLOWED_ALG + (("SIG_ECDSA_SHA256", ds.SIG_ECDSA_SHA256),)
saml2.entity.SIG_ALLOWED_ALG = ds.SIG_ALLOWED_ALG
AES256_GCM = "http://www.w3.org/2009/xmlenc11#aes256-gcm"
saml2.entity.pre_encryption_part = functools.partial(saml2.sigver.pre_encryption_part, msg_enc=conf.get("dataEncryption", AES256_GCM))
_encrypt = saml2.sigver.SecurityContext.encrypt_assertion


def _encrypt_gcm(self, statement, enc_key, template, key_type="aes-256", node_xpath=None):
    return _encrypt(self, statement, enc_key, template, key_type=conf.get("sessionKey", "aes-256"), node_xpath=node_xpath)


saml2.sigver.SecurityContext.encrypt_assertion = _encrypt_gcm


class ECDSASigner(object):
    """Verifies ECDSA-SHA256 query signatures of the HTTP-Redirect binding
    (pysaml2 has RSA signers only) with python3-cryptography; the value is
    r and s concatenated, as the XML Signature algorithm URI defines it."""

    def verify(self, msg, sig, key):
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, utils
        n = (key.curve.key_size + 7) // 8
        if len(sig) != 2 * n:
            return False
        der = utils.encode_dss_signature(int.from_bytes(sig[:n], "big"), int.from_bytes(sig[n:], "big"))
        try:
            key.verify(der, msg, ec.ECDSA(hashes.SHA256()))
            return True
        except InvalidSignature:
            return False


saml2.sigver.SIGNER_ALGS[ds.SIG_ECDSA_SHA256] = ECDSASigner()

base = conf["base"]
attr_dir = os.path.join(os.path.dirname(sys.argv[1]), "attributemaps")
os.makedirs(attr_dir, exist_ok=True)
names = conf["attributes"]  # friendly name -> URI
with open(os.path.join(attr_dir, "eidas.py"), "w") as f:
    f.write("MAP = %r\n" % {
        "identifier": NAME_FORMAT_URI,
        "fro": {uri: friendly for friendly, uri in names.items()},
        "to": {friendly: uri for friendly, uri in names.items()},
    })
with open(os.path.join(attr_dir, "__init__.py"), "w") as f:
    f.write("")

cfg_dict = {
    "entityid": base + "/metadata",
    "service": {"idp": {
        "name": "eIDAS test node",
        "endpoints": {"single_sign_on_service": [(base + "/sso/post", BINDING_HTTP_POST), (base + "/sso/redirect", BINDING_HTTP_REDIRECT)]},
        "name_id_format": [NAMEID_FORMAT_PERSISTENT],
        "want_authn_requests_signed": True,
        "sign_response": True,
        "sign_assertion": True,
        "encrypt_assertion": True,
        "encrypted_advice_attributes": False,
        "encrypt_assertion_self_contained": True,
        "signing_algorithm": ds.SIG_ECDSA_SHA256,
        "digest_algorithm": ds.DIGEST_SHA256,
        "policy": {"default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None, "name_form": NAME_FORMAT_URI}},
    }},
    "key_file": conf["keyFile"],
    "cert_file": conf["certFile"],
    "metadata": {"local": conf["spMetadata"]},
    "attribute_map_dir": attr_dir,
    "xmlsec_binary": "/usr/bin/xmlsec1",
    "delete_tmpfiles": True,
}
cfg = IdPConfig()
cfg.load(copy.deepcopy(cfg_dict))
idp = Server(config=cfg)
# Requests by HTTP-Redirect carry no XML signature (SAML Bindings
# §3.4.4.1): they are read by a second server that does not want one, after
# pysaml2's verify_redirect_signature has checked the query's signature.
cfg_dict["service"]["idp"]["want_authn_requests_signed"] = False
lenient_cfg = IdPConfig()
lenient_cfg.load(cfg_dict)
lenient = Server(config=lenient_cfg)
pending = {}
lock = threading.Lock()


def metadata():
    ed = entity_descriptor(cfg)
    sec = security_context(cfg)
    _, signed = sign_entity_descriptor(ed, None, sec, sign_alg=ds.SIG_ECDSA_SHA256, digest_alg=ds.DIGEST_SHA256)
    return str(signed).encode()


def aggregate():
    """The metadata as a federation publishes it: an md:EntitiesDescriptor
    holding another entity's md:EntityDescriptor and this node's, neither
    signed, the whole signed by the node's key."""
    other = entity_descriptor(cfg)
    other.entity_id = base + "/other"
    _, signed = entities_descriptor([other, entity_descriptor(cfg)], 24, "urn:oots:test:federation", None, True,
                                    security_context(cfg), sign_alg=ds.SIG_ECDSA_SHA256, digest_alg=ds.DIGEST_SHA256)
    return signed.encode()


LOGIN = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>eIDAS test node</title></head>
<body><h1>eIDAS test node: log in</h1><form method="post" action="%s/login">
<input type="hidden" name="key" value="%s">
<label>User <input name="user" id="user"></label>
<label>Password <input name="password" id="password" type="password"></label>
<button type="submit" id="submit">Log in</button>
<button type="submit" name="cancel" value="1" id="cancel">Cancel</button></form></body></html>"""


def app(environ, start):
    path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
    try:
        if path == "/metadata":
            start("200 OK", [("Content-Type", "application/samlmetadata+xml")])
            return [metadata()]
        if path == "/metadata/aggregate":
            start("200 OK", [("Content-Type", "application/samlmetadata+xml")])
            return [aggregate()]
        if path in ("/sso/post", "/sso/redirect"):
            if method == "POST":
                size = int(environ.get("CONTENT_LENGTH") or 0)
                form = urllib.parse.parse_qs(environ["wsgi.input"].read(size).decode())
                binding = BINDING_HTTP_POST
            else:
                form = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
                binding = BINDING_HTTP_REDIRECT
            msg = form["SAMLRequest"][0]
            relay = form.get("RelayState", [""])[0]
            if binding == BINDING_HTTP_POST:
                # pysaml2 checks the XML signature (want_authn_requests_signed).
                req = idp.parse_authn_request(msg, binding)
            else:
                req = lenient.parse_authn_request(msg, binding)
                query = {k: v[0] for k, v in form.items()}
                if "Signature" not in query or "SigAlg" not in query:
                    raise ValueError("the HTTP-Redirect request is not signed")
                certs = idp.metadata.certs(req.message.issuer.text, "spsso", "signing")
                if not any(saml2.sigver.verify_redirect_signature(query, idp.sec.sec_backend, cert=c[1] if isinstance(c, tuple) else c) for c in certs):
                    raise ValueError("the HTTP-Redirect signature does not verify")
            key = os.urandom(16).hex()
            with lock:
                pending[key] = (req, relay)
            start("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [(LOGIN % (base, key)).encode()]
        if path == "/login" and method == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            form = urllib.parse.parse_qs(environ["wsgi.input"].read(size).decode())
            with lock:
                req, relay = pending.pop(form["key"][0])
            authn_req = req.message
            binding, destination = idp.pick_binding("assertion_consumer_service", bindings=[BINDING_HTTP_POST], entity_id=authn_req.issuer.text, request=authn_req)
            if "cancel" in form:
                resp = idp.create_error_response(authn_req.id, destination, ("urn:oasis:names:tc:SAML:2.0:status:RequestDenied", "the citizen cancelled"), sign=True)
            else:
                user = form.get("user", [""])[0]
                acct = conf["accounts"].get(user)
                if acct is None or acct["password"] != form.get("password", [""])[0]:
                    start("401 Unauthorized", [("Content-Type", "text/plain")])
                    return [b"wrong user or password"]
                identity = {k: [v] for k, v in acct["attributes"].items()}
                resp = idp.create_authn_response(
                    identity, in_response_to=authn_req.id, destination=destination,
                    sp_entity_id=authn_req.issuer.text,
                    name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=acct["attributes"]["PersonIdentifier"]),
                    authn={"class_ref": acct["loa"], "authn_auth": cfg.entityid},
                    sign_response=True, sign_assertion=True, encrypt_assertion=True)
            http = idp.apply_binding(BINDING_HTTP_POST, str(resp), destination, relay, response=True)
            start("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [http["data"].encode() if isinstance(http["data"], str) else http["data"]]
        start("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    except Exception as e:  # the test reads the reason
        sys.stderr.write("idp: %r\n" % (e,))
        start("400 Bad Request", [("Content-Type", "text/plain")])
        return [("refused: %s" % html.escape(repr(e))).encode()]


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class ThreadingServer(ThreadingMixIn, WSGIServer):
    """One thread per connection: a browser's idle preconnected socket must
    not hold up the next request."""
    daemon_threads = True


srv = make_server(conf["host"], conf["port"], app, server_class=ThreadingServer, handler_class=Quiet)
print("listening", flush=True)
srv.serve_forever()
