#!/usr/bin/python3
"""Writes libs/confusables/data/confusables.json: the UTS #39 §4 confusable prototype of every code point
that has one, taken from ICU's spoof checker (Debian's python3-icu, so the data is Debian's maintained ICU
and the Unicode version it carries). Run with Debian's /usr/bin/python3 after `apt-get install python3-icu`.

Only code points that are their own NFD are listed: skeleton() decomposes its input first (UTS #39 §4 step 1),
so those are the only ones it looks up.
"""
import json
import os
import sys
import unicodedata

import icu

checker = icu.SpoofChecker()
table = {}
for cp in range(0x110000):
    if 0xD800 <= cp <= 0xDFFF:
        continue
    ch = chr(cp)
    if unicodedata.normalize('NFD', ch) != ch:
        continue
    skel = checker.getSkeleton(0, ch)
    if skel != ch:
        table['%X' % cp] = skel

out = {
    'source': 'ICU %s SpoofChecker.getSkeleton (Unicode %s confusables.txt)' % (icu.ICU_VERSION, icu.UNICODE_VERSION),
    'icu': icu.ICU_VERSION,
    'unicode': icu.UNICODE_VERSION,
    'prototypes': table,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'libs', 'confusables', 'data', 'confusables.json')
with open(path, 'w', encoding='utf-8') as f:
    json.dump(out, f, ensure_ascii=False, sort_keys=True, separators=(',', ':'))
    f.write('\n')
print('%d prototypes from ICU %s / Unicode %s -> %s' % (len(table), icu.ICU_VERSION, icu.UNICODE_VERSION, path), file=sys.stderr)
