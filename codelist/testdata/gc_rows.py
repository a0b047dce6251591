"""Independent reading of a Genericode 1.0 code list with libxml2 (lxml).

Reads the document on standard input and prints JSON: the key column and the
rows sorted by code, each as {"code": ..., "names": {column id: value}}.
It applies the two leniencies the codelist package documents: whitespace
around a key value is removed, and a ColumnRef that matches no Column Id
exactly is matched case-insensitively.
"""
import json
import sys

from lxml import etree

GC = "http://docs.oasis-open.org/codelist/ns/genericode/1.0/"

root = etree.fromstring(sys.stdin.buffer.read())
assert root.tag == "{%s}CodeList" % GC, root.tag
ids = [c.get("Id") for c in root.findall("ColumnSet/Column")]
key = root.find("ColumnSet/Key/ColumnRef").get("Ref")
rows = []
for row in root.findall("SimpleCodeList/Row"):
    values = {}
    for v in row.findall("Value"):
        ref = v.get("ColumnRef")
        if ref not in ids:
            ref = [i for i in ids if i.lower() == ref.lower()][0]
        values[ref] = v.findtext("SimpleValue") or ""
    code = values.pop(key).strip()
    rows.append({"code": code, "names": {k: s for k, s in values.items() if s != ""}})
rows.sort(key=lambda r: r["code"])
json.dump({"key": key, "rows": rows}, sys.stdout, ensure_ascii=False)
