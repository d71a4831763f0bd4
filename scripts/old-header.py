#!/usr/bin/python3
"""old-header.py HEXZ_H OUT_H - writes the hexz.h a program would have been built with when
hexz_open_options was at version 1: the fields of versions 2 and up (from the "Version 2:"
comment to the end of the struct) removed, HEXZ_OPEN_OPTIONS_VERSION 1 and an _INIT macro of
that size. scripts/test-examples.sh builds an example against it and runs it with the current
library: the ABI rule of docs/ABI.md (a newer library reads an older struct only as far as its
version defines). Fails if the header no longer has the shape this expects."""
import re
import sys

src, out = sys.argv[1], sys.argv[2]
text = open(src).read()
struct = re.search(r"(\n    /\* Version 2:.*?\n)(\} hexz_open_options;)", text, re.S)
version = re.search(r"#define HEXZ_OPEN_OPTIONS_VERSION (\d+)\n", text)
init = re.search(r"#define HEXZ_OPEN_OPTIONS_INIT[^{]*\{[^}]*\}\n", text)
if not (struct and version and init) or int(version.group(1)) < 2:
    sys.exit("old-header.py: %s: hexz_open_options is not laid out as expected" % src)
text = text[: struct.start(1)] + "\n" + struct.group(2) + text[struct.end(2):]
text = re.sub(r"#define HEXZ_OPEN_OPTIONS_VERSION \d+\n", "#define HEXZ_OPEN_OPTIONS_VERSION 1\n", text)
text = re.sub(r"#define HEXZ_OPEN_OPTIONS_INIT[^{]*\{[^}]*\}\n",
              "#define HEXZ_OPEN_OPTIONS_INIT {HEXZ_OPEN_OPTIONS_VERSION, NULL, NULL, 0}\n", text)
open(out, "w").write(text)
