#!/usr/bin/env python3
"""xlsxcells.py FILE.xlsx: the cells of the first sheet of FILE, read as a
zip with the standard library alone, one a line: REF TYPE VALUE, TYPE "n"
(a number: <c> without t or t="n", its <v>), "s" (a shared string: its
text from xl/sharedStrings.xml), "str"/"inlineStr" (the text), "b" (bold,
appended as " bold" when the cell's style is bold).  For the tests of
report --xlsx (tests/unit/test_fmt.c): what Excel will show, not what
the writer meant."""
import sys
import zipfile
import xml.etree.ElementTree as ET

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def text_of(si):
    return "".join(t.text or "" for t in si.iter("{%s}t" % NS["m"]))


def main():
    z = zipfile.ZipFile(sys.argv[1])
    bad = z.testzip()
    if bad is not None:
        sys.exit("xlsxcells: %s is damaged in the zip" % bad)
    shared = []
    if "xl/sharedStrings.xml" in z.namelist():
        root = ET.fromstring(z.read("xl/sharedStrings.xml"))
        shared = [text_of(si) for si in root.findall("m:si", NS)]
    bold = set()
    if "xl/styles.xml" in z.namelist():
        st = ET.fromstring(z.read("xl/styles.xml"))
        fonts = st.find("m:fonts", NS)
        fbold = [f.find("m:b", NS) is not None for f in fonts.findall("m:font", NS)]
        xfs = st.find("m:cellXfs", NS)
        for i, xf in enumerate(xfs.findall("m:xf", NS)):
            if fbold[int(xf.get("fontId", "0"))]:
                bold.add(str(i))
    sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
    for c in sheet.iter("{%s}c" % NS["m"]):
        t = c.get("t", "n")
        v = c.find("m:v", NS)
        if t == "n":
            val = v.text
            if val.endswith(".0"):
                val = val[:-2]
        elif t == "s":
            val = shared[int(v.text)]
        elif t == "inlineStr":
            val = text_of(c.find("m:is", NS))
        else:
            val = v.text if v is not None else ""
        mark = " bold" if c.get("s") in bold else ""
        print("%s %s %s%s" % (c.get("r"), t, val, mark))
    cols = sheet.find("m:cols", NS)
    for col in (cols.findall("m:col", NS) if cols is not None else []):
        print("width %s %d" % (col.get("min"), int(float(col.get("width")))))


main()
