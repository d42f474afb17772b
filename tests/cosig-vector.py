#!/usr/bin/env python3
"""cosig-vector.py: known-answer vectors for C2SP tlog-cosignature/v1
(Ed25519, signature type 0x04), made apart from denki's code: Python's
hashlib for the key id, the cryptography package (OpenSSL) for Ed25519.
The witness key's seed is bytes 20..3f (test only); its name
witness.example/w1.  Prints the verifier key and, for each checkpoint text
below, the cosignature line at time 1679315147 (the C2SP example's time).
tests/unit/test-cosig.c holds what this printed.
"""
import base64, hashlib, struct
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

NAME = 'witness.example/w1'
T = 1679315147
TEXTS = [
    # tests/fixtures/note/signed-note-vectors.txt [3]: the 8-leaf checkpoint
    'example.org/coop-ledger\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n',
    # the same with an extension line, which the cosignature covers
    'example.org/coop-ledger\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n'
    'time 1780000000\n',
]

sk = Ed25519PrivateKey.from_private_bytes(bytes(range(0x20, 0x40)))
pk = sk.public_key().public_bytes(serialization.Encoding.Raw,
                                  serialization.PublicFormat.Raw)
kid = hashlib.sha256(NAME.encode() + b'\n\x04' + pk).digest()[:4]
print('VKEY %s+%s+%s' % (NAME, kid.hex(),
                         base64.b64encode(b'\x04' + pk).decode()))
for text in TEXTS:
    msg = ('cosignature/v1\ntime %d\n' % T).encode() + text.encode()
    sig = kid + struct.pack('>Q', T) + sk.sign(msg)
    print('\u2014 %s %s' % (NAME, base64.b64encode(sig).decode()))
