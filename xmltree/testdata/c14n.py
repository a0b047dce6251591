# Exclusive XML canonicalization (without comments) of each document's root
# element by lxml (libxml2), an implementation independent of ours.
# Usage: python3 c14n.py OUTDIR FILE...  → writes OUTDIR/<index>.c14n
import sys
from lxml import etree
out = sys.argv[1]
for i, path in enumerate(sys.argv[2:]):
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.parse(path, parser).getroot()
    with open("%s/%d.c14n" % (out, i), "wb") as f:
        f.write(etree.tostring(root, method="c14n", exclusive=True, with_comments=False))
