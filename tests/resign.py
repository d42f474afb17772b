#!/usr/bin/env python3
"""resign.py FILE [FROM [KEEP]]: a ledger rewritten as an operator holding
the key could.  Every entry from line FROM on is linked again (numbered in
turn, prev the leaf hash of the line before) and each checkpoint from there
on is signed again over the entries before it (but the one on line KEEP,
whose note stays as it is), keeping its extension lines (its time) and
dropping any cosignature, so that only the replay of the records can
tell.  Written apart from denki's code, from RFC 6962 (leaf and node
hashes), C2SP signed-note (the note text and its signature line) and
minisign's key layout; the Ed25519 signature is openssl's.  Needs
operator.key (unencrypted) and operator.pub in the cwd; ORIGIN from the
environment (default denki.local/ledger).  Prints the ledger on stdout.
"""
import base64, hashlib, json, os, re, subprocess, sys, tempfile

ORIGIN = os.environ.get('ORIGIN', 'denki.local/ledger')
ENTRY = re.compile(r'^\{"prev":"[0-9a-f]{64}"(,"rec":.*,"seq":)[0-9]+'
                   r'(,"type":"entry","v":2\})$', re.S)
CHECKPOINT = '"type":"checkpoint","v":1},"seq":'


def node(l, r):
    return hashlib.sha256(b'\x01' + l + r).digest()


class Tree:
    """The compact range: roots of the perfect subtrees, largest first."""
    def __init__(self):
        self.range, self.size = [], []

    def append(self, line):
        self.range.append(hashlib.sha256(b'\x00' + line).digest())
        self.size.append(1)
        while len(self.size) > 1 and self.size[-1] == self.size[-2]:
            self.range[-2] = node(self.range[-2], self.range[-1])
            self.size[-2] *= 2
            del self.range[-1], self.size[-1]

    def root(self):
        r = self.range[-1]
        for h in reversed(self.range[:-1]):
            r = node(h, r)
        return r


def keyline(path):
    with open(path) as f:
        return base64.b64decode(f.read().split('\n')[1])


def note(n, tree, der, kid, ext=''):
    text = '%s\n%d\n%s\n%s' % (ORIGIN, n,
                               base64.b64encode(tree.root()).decode(), ext)
    with tempfile.NamedTemporaryFile() as t:
        t.write(text.encode())
        t.flush()
        sig = subprocess.run(['openssl', 'pkeyutl', '-sign', '-inkey', der,
                              '-keyform', 'DER', '-rawin', '-in', t.name],
                             check=True, stdout=subprocess.PIPE).stdout
    return '%s\n\u2014 %s %s' % (text, ORIGIN,
                                 base64.b64encode(kid + sig).decode())


def main():
    path = sys.argv[1]
    start = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    keep = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    pk = keyline('operator.pub')[-32:]
    seed = keyline('operator.key')[62:94]
    kid = hashlib.sha256(ORIGIN.encode() + b'\n\x01' + pk).digest()[:4]
    tree, prev = Tree(), '0' * 64
    with tempfile.TemporaryDirectory() as d:
        der = os.path.join(d, 'operator.der')
        with open(der, 'wb') as f:
            f.write(bytes.fromhex('302e020100300506032b657004220420') + seed)
        out = sys.stdout.buffer
        with open(path, 'rb') as f:
            lines = f.read().split(b'\n')
        lines.pop()     # after the last newline: "" or a torn line, left out
        for n, raw in enumerate(lines, 1):
            seq = n - 1
            l = raw.decode()
            if n >= start:
                if n != keep and CHECKPOINT in l:
                    e = json.loads(l)
                    # the old note's extension lines (its time) stay
                    ext = e['rec']['note'].split('\n\n')[0].split('\n')[3:]
                    ext = ''.join(x + '\n' for x in ext)
                    e['rec']['note'] = note(seq, tree, der, kid, ext) + '\n'
                    l = json.dumps(e, separators=(',', ':'),
                                   ensure_ascii=False)
                m = ENTRY.match(l)
                if m is None:
                    sys.stderr.write('resign: %s:%d: not an entry\n'
                                     % (path, n))
                    return 1
                l = '{"prev":"%s"%s%d%s' % (prev, m.group(1), seq,
                                            m.group(2))
            b = l.encode()
            tree.append(b)
            prev = hashlib.sha256(b'\x00' + b).hexdigest()
            out.write(b + b'\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
