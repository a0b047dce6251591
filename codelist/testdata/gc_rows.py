"""Independent reading of Genericode 1.0 code lists with libxml2 (lxml).

Reads the files named on the command line and prints one JSON object mapping
each file name to its key column and its rows sorted by code, each row as
{"code": ..., "names": {column id: value}}. It applies the two leniencies the
codelist package documents: whitespace around a key value is removed, and a
ColumnRef that matches no Column Id exactly is matched case-insensitively.
"""
import json
import sys

from lxml import etree

GC = "http://docs.oasis-open.org/codelist/ns/genericode/1.0/"


def read(path):
    root = etree.parse(path).getroot()
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
    return {"key": key, "rows": rows}


json.dump({p: read(p) for p in sys.argv[1:]}, sys.stdout, ensure_ascii=False)
