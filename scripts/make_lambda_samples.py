"""Marshalled Keras Lambda samples for kerascope's static marshal decoder.

Keras stores a Lambda layer's function as ``base64(marshal.dumps(func.__code__))``
(Keras 2 ``func_dump``: ``codecs.encode(raw, "base64")``, lines of 76 characters).
For each case below this script writes, for the running interpreter:

  fixtures/lambda/py<major><minor>_<case>.b64   the base64 text as Keras stores it
  fixtures/lambda/py<major><minor>_<case>.json  the truth from this interpreter

Nothing is executed: the sources are only *compiled*, and the code object is taken
from the compiled module's constants. The truth JSON holds, recursively for the code
object and the code objects among its constants: co_filename, co_name, co_qualname
(3.11+, else null), co_names, co_varnames, co_freevars, co_cellvars, the string
constants (str and bytes, bytes decoded as UTF-8 with replacement) found in
co_consts and in the tuples/frozensets inside it (not inside nested code objects),
deduplicated in order, and the nested code objects in the same order.

Runs under Python 2.7 and 3.x. Run it with every interpreter (see
scripts/make_lambda_samples.sh):

    for v in 2.7.18 3.6.15 3.7.16 3.8.18 3.9.18 3.10.13 3.11.7 3.12.1 3.13.0; do
        PYTHONHASHSEED=0 /root/.pyenv/versions/$v/bin/python scripts/make_lambda_samples.py
    done
"""
from __future__ import print_function

import codecs
import io
import json
import marshal
import os
import sys
import types

CASES = [
    # The benign Keras classic.
    ("double", "f = lambda x: x * 2\n"),
    # CVE-2024-3660 style payload.
    ("import_os", "f = lambda x: __import__('os').system('id') or x\n"),
    # A default argument and eval of a string.
    ("eval_default", "f = lambda x, y=3: eval('x+y')\n"),
    # A typical backend call with a keyword argument (a tuple of names among the consts).
    ("keras_backend", "f = lambda t: K.expand_dims(t, axis=-1)\n"),
    # A function with a closure, a nested lambda and a list comprehension.
    (
        "nested",
        "def nested(xs, k=2):\n"
        "    scale = lambda v: v * k\n"
        "    return [scale(v) + 1 for v in xs]\n",
    ),
    # Reads a file.
    (
        "read_passwd",
        "def read_passwd(x):\n"
        "    data = open(\"/etc/passwd\").read()\n"
        "    return x if data else None\n",
    ),
    # Constants of many marshal types: long int, float, complex, bytes, non-ASCII
    # text, a frozenset of strings, a negative int.
    (
        "constants",
        "f = lambda x: (x * 12345678901234567890123 + 1.5 + 2j + len(b'\\xffbytes')"
        " + len(u'caf\\xe9')) if x in {'a', 'b'} else -70000\n",
    ),
]


def as_text(s):
    """str/unicode/bytes to text, bytes decoded lossily like the Rust side."""
    if isinstance(s, bytes):
        return s.decode("utf-8", "replace")
    return s


def is_string(c):
    if sys.version_info[0] < 3:
        return isinstance(c, (str, unicode))  # noqa: F821
    return isinstance(c, (str, bytes))


def walk_consts(consts, strings, nested):
    for c in consts:
        if isinstance(c, types.CodeType):
            nested.append(c)
        elif is_string(c):
            t = as_text(c)
            if t not in strings:
                strings.append(t)
        elif isinstance(c, (tuple, frozenset)):
            walk_consts(c, strings, nested)


def truth(code):
    strings = []
    nested = []
    walk_consts(code.co_consts, strings, nested)
    return {
        "filename": as_text(code.co_filename),
        "name": as_text(code.co_name),
        "qualname": as_text(getattr(code, "co_qualname", None)),
        "names": [as_text(n) for n in code.co_names],
        "varnames": [as_text(n) for n in code.co_varnames],
        "freevars": [as_text(n) for n in code.co_freevars],
        "cellvars": [as_text(n) for n in code.co_cellvars],
        "string_constants": strings,
        "nested": [truth(n) for n in nested],
    }


def family():
    v = sys.version_info
    if v[0] == 2:
        return "2.7"
    if v[1] >= 11:
        return "3.11+"
    if v[1] >= 8:
        return "3.8\u20133.10"
    return "3.4\u20133.7"


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    out = os.path.join(root, "fixtures", "lambda")
    if not os.path.isdir(out):
        os.makedirs(out)
    tag = "py%d%d" % (sys.version_info[0], sys.version_info[1])
    for case, src in CASES:
        module = compile(src, "model_%s.py" % case, "exec")
        code = [c for c in module.co_consts if isinstance(c, types.CodeType)][0]
        raw = marshal.dumps(code)
        b64 = codecs.encode(raw, "base64").decode("ascii")
        doc = {
            "python": "%d.%d.%d" % sys.version_info[:3],
            "family": family(),
            "case": case,
            "raw_len": len(raw),
            "code": truth(code),
        }
        base = os.path.join(out, "%s_%s" % (tag, case))
        with io.open(base + ".b64", "w", encoding="ascii", newline="\n") as f:
            f.write(b64)
        text = json.dumps(doc, indent=1, sort_keys=True, separators=(",", ": "))
        if isinstance(text, bytes):
            text = text.decode("ascii")
        with io.open(base + ".json", "w", encoding="ascii", newline="\n") as f:
            f.write(text + u"\n")
        print("%s: %d bytes" % (base, len(raw)))


if __name__ == "__main__":
    main()
