#!/usr/bin/env python3
"""Independent check of an encrypted CPIX answer (content key encryption).

Usage: decrypt_cpix.py PRIVATE_KEY_PEM ANSWER_XML

Reads the answer with the standard library's XML parser and the private
key with the `cryptography` package, then checks and decrypts as CPIX and
SPEKE describe: the DeliveryData whose certificate matches the private key
holds the document key and the MAC key, both RSA-OAEP (SHA-1, MGF1-SHA-1)
wrapped; every ValueMAC is HMAC-SHA512 under the MAC key over the bytes of
its CipherValue; each content key CipherValue is IV || AES-256-CBC(PKCS#7).
No PlainValue may appear anywhere. Prints {"<kid>": "<key base64>", ...}
as JSON; exits non-zero with a message on any failure.
"""
import base64
import json
import sys
import xml.etree.ElementTree as ET

from cryptography import x509
from cryptography.hazmat.primitives import hashes, hmac, padding, serialization
from cryptography.hazmat.primitives.asymmetric import padding as apad
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

CPIX = "{urn:dashif:org:cpix}"
PSKC = "{urn:ietf:params:xml:ns:keyprov:pskc}"
ENC = "{http://www.w3.org/2001/04/xmlenc#}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
AES256CBC = "http://www.w3.org/2001/04/xmlenc#aes256-cbc"
RSAOAEP = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
HMACSHA512 = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha512"


def fail(msg):
    sys.stderr.write("decrypt_cpix: " + msg + "\n")
    sys.exit(1)


def one(parent, path, what):
    found = parent.findall(path)
    if len(found) != 1:
        fail("expected exactly one %s, found %d" % (what, len(found)))
    return found[0]


def encrypted(parent, alg, what):
    """Returns (ciphertext, mac) of parent's EncryptedValue and ValueMAC."""
    ev = one(parent, PSKC + "EncryptedValue", what + " EncryptedValue")
    em = one(ev, ENC + "EncryptionMethod", what + " EncryptionMethod")
    if em.get("Algorithm") != alg:
        fail("%s EncryptionMethod is %r, want %r" % (what, em.get("Algorithm"), alg))
    cv = one(ev, ENC + "CipherData/" + ENC + "CipherValue", what + " CipherValue")
    mac = one(parent, PSKC + "ValueMAC", what + " ValueMAC")
    return base64.b64decode(cv.text, validate=True), base64.b64decode(mac.text, validate=True)


def check_mac(mac_key, data, mac, what):
    h = hmac.HMAC(mac_key, hashes.SHA512())
    h.update(data)
    try:
        h.verify(mac)
    except Exception:
        fail("ValueMAC of %s does not verify" % what)


def main():
    key_pem, answer = sys.argv[1], sys.argv[2]
    with open(key_pem, "rb") as f:
        priv = serialization.load_pem_private_key(f.read(), password=None)
    root = ET.parse(answer).getroot()
    if root.tag != CPIX + "CPIX":
        fail("root is " + root.tag)
    if list(root.iter(PSKC + "PlainValue")):
        fail("the answer contains a PlainValue")
    oaep = apad.OAEP(mgf=apad.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    mine = priv.public_key().public_numbers()
    delivery = None
    for dd in root.findall(CPIX + "DeliveryDataList/" + CPIX + "DeliveryData"):
        cert_text = one(dd, CPIX + "DeliveryKey/" + DS + "X509Data/" + DS + "X509Certificate", "X509Certificate").text
        cert = x509.load_der_x509_certificate(base64.b64decode("".join(cert_text.split())))
        if cert.public_key().public_numbers() == mine:
            delivery = dd
    if delivery is None:
        fail("no DeliveryData carries this key's certificate")
    dk = one(delivery, CPIX + "DocumentKey", "DocumentKey")
    if dk.get("Algorithm") != AES256CBC:
        fail("DocumentKey Algorithm is %r" % dk.get("Algorithm"))
    dk_ct, dk_mac = encrypted(one(dk, CPIX + "Data/" + PSKC + "Secret", "DocumentKey Secret"), RSAOAEP, "DocumentKey")
    mm = one(delivery, CPIX + "MACMethod", "MACMethod")
    if mm.get("Algorithm") != HMACSHA512:
        fail("MACMethod Algorithm is %r" % mm.get("Algorithm"))
    mk_ct, mk_mac = encrypted(one(mm, CPIX + "Key", "MACMethod Key"), RSAOAEP, "MAC key")
    doc_key = priv.decrypt(dk_ct, oaep)
    mac_key = priv.decrypt(mk_ct, oaep)
    if len(doc_key) != 32:
        fail("document key is %d bytes" % len(doc_key))
    if len(mac_key) < 32:
        fail("MAC key is %d bytes" % len(mac_key))
    check_mac(mac_key, dk_ct, dk_mac, "DocumentKey")
    check_mac(mac_key, mk_ct, mk_mac, "MAC key")
    out = {}
    for ck in root.findall(CPIX + "ContentKeyList/" + CPIX + "ContentKey"):
        kid = ck.get("kid")
        ct, mac = encrypted(one(ck, CPIX + "Data/" + PSKC + "Secret", "Secret of " + kid), AES256CBC, "content key " + kid)
        if len(mac) != 64:
            fail("ValueMAC of %s is %d bytes, want 64" % (kid, len(mac)))
        check_mac(mac_key, ct, mac, "content key " + kid)
        if len(ct) != 48:
            fail("CipherValue of %s is %d bytes, want 48" % (kid, len(ct)))
        dec = Cipher(algorithms.AES(doc_key), modes.CBC(ct[:16])).decryptor()
        padded = dec.update(ct[16:]) + dec.finalize()
        unpad = padding.PKCS7(128).unpadder()
        key = unpad.update(padded) + unpad.finalize()
        out[kid] = base64.b64encode(key).decode()
    json.dump(out, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main()
