#!/usr/bin/env python3
"""Writes the seed inputs of fuzz_gofer_proto into seeds/gofer_proto/.

An input is a sequence of requests, each a little-endian uint16 length and
the message (gofer/proto.h). The fuzz target starts a fresh server per
input, so the first ATTACH's handle is always ROOT below.
usage: tests/fuzz/gen_gofer_seeds.py  (rewrites the seeds)"""
import os
import struct

OP = dict(ATTACH=3, WALK=4, STAT=5, OPEN=6, CREATE=7, MKDIR=8, MKNOD=9, SYMLINK=10,
          LINK=11, UNLINK=12, RENAME=13, READLINK=14, GETDENTS=15, SETATTR=16,
          STATFS=17, CLOSE=18)
ROOT = (1 << 32) | 1
H = lambda slot: (1 << 32) | (slot + 1)  # handle of the slot-th handle made


def s(b):
    b = b.encode() if isinstance(b, str) else b
    return struct.pack('<H', len(b)) + b


def msg(op, body, tag=1):
    m = struct.pack('<IHHI', 12 + len(body), OP[op], 0, tag) + body
    return struct.pack('<H', len(m)) + m


def attach(mount=0):
    return msg('ATTACH', struct.pack('<II', mount, 0))


def walk(d, *names):
    return msg('WALK', struct.pack('<QII', d, len(names), 0) + b''.join(s(n) for n in names))


def h(op, handle):
    return msg(op, struct.pack('<Q', handle))


seeds = {
    'read_file': attach() + walk(ROOT, 'file') + msg('OPEN', struct.pack('<QII', H(1), 0, 0))
    + h('STAT', H(1)) + h('STATFS', ROOT),
    'walk_deep': attach() + walk(ROOT, 'dir', 'sub') + msg('OPEN', struct.pack('<QII', H(2), 0, 0)),
    'symlinks': attach() + walk(ROOT, 'abs', 'x') + h('READLINK', H(1))
    + msg('OPEN', struct.pack('<QII', H(1), 0, 0)) + walk(ROOT, 'up') + walk(H(2), 'etc'),
    'getdents': attach() + msg('GETDENTS', struct.pack('<QQII', ROOT, 0, 4096, 0))
    + msg('GETDENTS', struct.pack('<QQII', ROOT, 0, 30, 0)),
    'create': attach() + msg('CREATE', struct.pack('<QIIII', ROOT, 2, 0o644, 0xffffffff,
                                                   0xffffffff) + s('new'))
    + msg('SETATTR', struct.pack('<QIIIIQqIIqII', H(1), 0x3f, 0o600, 0xffffffff, 0xffffffff, 3,
                                 1, 2, 0, 5, (1 << 30) - 2, 0))
    + msg('RENAME', struct.pack('<QQII', ROOT, ROOT, 0, 0) + s('new') + s('newer'))
    + msg('UNLINK', struct.pack('<QII', ROOT, 0, 0) + s('newer')),
    'mkdir_mknod_symlink_link': attach()
    + msg('MKDIR', struct.pack('<QIIII', ROOT, 0o755, 0xffffffff, 0xffffffff, 0) + s('d2'))
    + msg('MKNOD', struct.pack('<QIIII', ROOT, 0o10644, 0xffffffff, 0xffffffff, 0) + s('p'))
    + msg('MKNOD', struct.pack('<QIIII', ROOT, 0o20644, 0xffffffff, 0xffffffff, 0) + s('c'))
    + msg('SYMLINK', struct.pack('<QII', ROOT, 0xffffffff, 0xffffffff) + s('l') + s('../x'))
    + walk(ROOT, 'file')
    + msg('LINK', struct.pack('<QQ', ROOT, H(4)) + s('hard'))
    + msg('RENAME', struct.pack('<QQII', ROOT, ROOT, 2, 0) + s('hard') + s('l'))
    + msg('UNLINK', struct.pack('<QII', ROOT, 0x200, 0) + s('d2')),
    'readonly': attach(1) + walk(ROOT, 'file')
    + msg('OPEN', struct.pack('<QII', H(1), 0o1002, 0))
    + msg('CREATE', struct.pack('<QIIII', ROOT, 2, 0o644, 0, 0) + s('n')),
    'bad_names': attach() + walk(ROOT, '..') + walk(ROOT, 'a/b') + walk(ROOT, '')
    + walk(ROOT, 'a\0b') + walk(ROOT, 'x' * 256),
    'close': attach() + walk(ROOT, 'dir', 'sub')
    + msg('CLOSE', struct.pack('<II', 3, 0) + struct.pack('<QQQ', H(1), ROOT, 77))
    + h('STAT', H(2)),
    'garbage': struct.pack('<H', 5) + b'\x01\x02\x03\x04\x05' + struct.pack('<H', 0)
    + msg('STAT', b'\x00' * 3) + struct.pack('<H', 12) + struct.pack('<IHHI', 12, 999, 0, 4),
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'seeds', 'gofer_proto')
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
print(f'{len(seeds)} seeds in {out}')
