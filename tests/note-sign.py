#!/usr/bin/env python3
"""note-sign.py KEY NAME: the text on stdin as a C2SP signed note, signed
by KEY (a denki secret key file, unencrypted) under the key name NAME, as a
log that holds the key could sign any checkpoint text.  Written apart from
denki's code, from C2SP signed-note (key id, signature line) and
minisign's key layout; the Ed25519 signature is OpenSSL's (the
cryptography package).
"""
import base64, hashlib, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

key, name = sys.argv[1], sys.argv[2]
raw = base64.b64decode(open(key).read().splitlines()[1])
if raw[:2] != b'Ed' or raw[2:4] != b'\0\0':
    sys.exit('note-sign.py: %s: not an unencrypted Ed25519 key' % key)
sk = Ed25519PrivateKey.from_private_bytes(raw[62:94])      # the seed
pk = sk.public_key().public_bytes(serialization.Encoding.Raw,
                                  serialization.PublicFormat.Raw)
text = sys.stdin.buffer.read()
kid = hashlib.sha256(name.encode() + b'\n\x01' + pk).digest()[:4]
sig = base64.b64encode(kid + sk.sign(text)).decode()
sys.stdout.buffer.write(text + b'\n' + ('\u2014 %s %s\n' % (name, sig)).encode())
