"""Writes one SAMLResponse with pysaml2 (Debian's python3-pysaml2) and
xmlsec1, as an eIDAS node built on them would send it, for the tests of
package eid/saml: pysaml2 builds the response and the assertion, xmlsec1
signs and encrypts them; this script only passes the test's choices.

Usage: python3 pysaml2_response.py CONFIG.json; prints the base64
SAMLResponse. CONFIG has: entityID, keyFile, certFile (the node's ECDSA
P-256 key and certificate), spMetadata (a file), spEntityID, inResponseTo,
destination, loa, nameID, attributes (FriendlyName -> URI), identity
(FriendlyName -> list of values), signResponse, signAssertion, encrypt,
dataEncryption (an XML Encryption 1.1 AES-GCM URI), sessionKey (aes-128,
aes-192, aes-256), valueAttributes (FriendlyName -> one object of XML
attributes per value, such as LatinScript, xsi:type and the xmlns of its
prefix, set on the saml:AttributeValue elements pysaml2 writes).
"""

import base64
import copy
import functools
import json
import os
import sys
import tempfile

import saml2.assertion
import saml2.entity
import saml2.sigver
import saml2.xmldsig as ds
from saml2.config import IdPConfig
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server

conf = json.load(open(sys.argv[1]))

ds.SIG_ALLOWED_ALG = ds.SIG_ALLOWED_ALG + (("SIG_ECDSA_SHA256", ds.SIG_ECDSA_SHA256),)
saml2.entity.SIG_ALLOWED_ALG = ds.SIG_ALLOWED_ALG
saml2.entity.pre_encryption_part = functools.partial(saml2.sigver.pre_encryption_part, msg_enc=conf["dataEncryption"])
_encrypt = saml2.sigver.SecurityContext.encrypt_assertion


def _encrypt_gcm(self, statement, enc_key, template, key_type="aes-256", node_xpath=None):
    return _encrypt(self, statement, enc_key, template, key_type=conf["sessionKey"], node_xpath=node_xpath)


saml2.sigver.SecurityContext.encrypt_assertion = _encrypt_gcm

XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
_from_local = saml2.assertion.from_local


def _from_local_with_value_attributes(*args, **kwargs):
    attrs = _from_local(*args, **kwargs)
    by_uri = {conf["attributes"][k]: v for k, v in (conf.get("valueAttributes") or {}).items()}
    for attr in attrs:
        for value, extra in zip(attr.attribute_value, by_uri.get(attr.name, [])):
            for k, v in extra.items():
                if k == "xsi:type":
                    value.set_type(v)
                else:
                    value.extension_attributes[k] = v
    return attrs


saml2.assertion.from_local = _from_local_with_value_attributes

work = tempfile.mkdtemp()
attr_dir = os.path.join(work, "attributemaps")
os.makedirs(attr_dir)
names = conf["attributes"]
with open(os.path.join(attr_dir, "eidas.py"), "w") as f:
    f.write("MAP = %r\n" % {
        "identifier": NAME_FORMAT_URI,
        "fro": {uri: friendly for friendly, uri in names.items()},
        "to": {friendly: uri for friendly, uri in names.items()},
    })
open(os.path.join(attr_dir, "__init__.py"), "w").close()

cfg = IdPConfig()
cfg.load(copy.deepcopy({
    "entityid": conf["entityID"],
    "service": {"idp": {
        "endpoints": {"single_sign_on_service": [(conf["entityID"] + "/sso", saml2.BINDING_HTTP_POST)]},
        "name_id_format": [NAMEID_FORMAT_PERSISTENT],
        "sign_response": conf["signResponse"],
        "sign_assertion": conf["signAssertion"],
        "encrypt_assertion": conf["encrypt"],
        "encrypted_advice_attributes": False,
        "encrypt_assertion_self_contained": True,
        "signing_algorithm": ds.SIG_ECDSA_SHA256,
        "digest_algorithm": ds.DIGEST_SHA256,
        "policy": {"default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None, "name_form": NAME_FORMAT_URI}},
    }},
    "key_file": conf["keyFile"],
    "cert_file": conf["certFile"],
    "metadata": {"local": [conf["spMetadata"]]},
    "attribute_map_dir": attr_dir,
    "xmlsec_binary": "/usr/bin/xmlsec1",
    "delete_tmpfiles": True,
}))
idp = Server(config=cfg)
resp = idp.create_authn_response(
    conf["identity"], in_response_to=conf["inResponseTo"], destination=conf["destination"],
    sp_entity_id=conf["spEntityID"],
    name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=conf["nameID"]),
    authn={"class_ref": conf["loa"], "authn_auth": conf["entityID"]},
    sign_response=conf["signResponse"], sign_assertion=conf["signAssertion"], encrypt_assertion=conf["encrypt"])
sys.stdout.write(base64.b64encode(str(resp).encode()).decode())
