#!/usr/bin/env python3
"""Write the `model.summary()` fixtures of `kerascope verify` (fixtures/summaries/).

Every text in fixtures/summaries/ was printed by a real Keras:

  <model file>.keras3.txt   Keras 3.15.1, copied from fixtures/truth/<model file>.json ("summary")
  <model file>.keras2.txt   tf_keras 2.21.0 (same source), or standalone Keras 2.3.1 (models/k2_*)
  <model file>.keras1.txt   standalone Keras 1.2.2 (models/k1_*)

The Keras 1 / Keras 2.3.1 models are built, saved (fixtures/summaries/models/) and printed by
scripts/summaries/keras1.py and keras2.py, under the old Pythons they need (Theano back end).
Only given --keras1 / --keras2 are they regenerated; otherwise the committed ones are kept.

    python3 scripts/make_summaries.py                                   # truth + mutants
    python3 scripts/make_summaries.py \\
        --keras1 /root/.pyenv/versions/2.7.18/bin/python --keras1-path /tmp/k1lib \\
        --keras2 /tmp/k2venv/bin/python                                 # everything

(the installs are in the docstrings of scripts/summaries/keras1.py and keras2.py).

Outputs:
  fixtures/summaries/index.json        every summary: its model file (+ architecture for
                                       weights-only files), writer, style
  fixtures/summaries/explained/        summaries that differ from their own file for a known
                                       reason, with expected.json naming the difference
  fixtures/summaries/mutated/          real summaries with one edit (a number, a removed row, a
                                       shape, a total), with expected.json naming the row and
                                       the kind of difference `verify` must report
"""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "fixtures")
OUT = os.path.join(FIXTURES, "summaries")
MODELS = os.path.join(OUT, "models")

OLD_KERAS = {
    "keras1": {
        "script": "keras1.py",
        "writer": "keras 1.2.2 (theano 1.0.5)",
        "env": {"KERAS_BACKEND": "theano"},
    },
    "keras2": {
        "script": "keras2.py",
        "writer": "keras 2.3.1 (theano 1.0.5)",
        "env": {"KERAS_BACKEND": "theano"},
    },
}

# Summaries printed by Keras that differ from their own saved file, and why: the differences
# `verify` must report (kind, row; row None for the totals), each with an explanation that
# names `mentions`.
EXPLAINED = {
    "k2_frozen_nested.h5": {
        "differences": [
            {"kind": "trainable_params", "row": None},
            {"kind": "non_trainable_params", "row": None},
        ],
        "mentions": "inner_fn",
        "why": "inner_fn.trainable = False before saving; Keras 2.3.1 does not save a nested "
        "model's trainable flag, so the file counts inner_fn's 21 parameters as trainable",
    },
    "k2_renamed.h5": {
        # Rows None: the default names depend on what the session built before.
        "differences": [
            {"kind": "renamed", "row": None},
            {"kind": "renamed", "row": None},
        ],
        "mentions": "default names",
        "why": "the same architecture built twice in one session: Keras numbers default "
        "names on, so the printed build's dense_N are the saved build's dense_N+2",
    },
    "k2_different_input.h5": {
        "differences": [
            {"kind": "params", "row": "dense"},
            {"kind": "total_params", "row": None},
            {"kind": "trainable_params", "row": None},
        ],
        "mentions": "input",
        "why": "the summary's model was built for 12 input features, the saved one for 10",
    },
    "k2_different_input_functional.h5": {
        "differences": [
            {"kind": "output_shape", "row": "features"},
            {"kind": "params", "row": "dense"},
            {"kind": "total_params", "row": None},
            {"kind": "trainable_params", "row": None},
        ],
        "mentions": "input shape",
        "why": "the summary's model was built for 12 input features, the saved one for 10",
    },
}


def rel(path):
    return os.path.relpath(path, ROOT)


def architecture_for(name):
    """The architecture a weights-only fixture was saved from (as tests/summary.rs finds it)."""
    for candidate in (name.replace("_weights.h5", "_arch.json"), name.replace(".weights.h5", ".keras")):
        if candidate != name and os.path.exists(os.path.join(FIXTURES, candidate)):
            return rel(os.path.join(FIXTURES, candidate))
    return None


def style_of(writer):
    return "keras3" if writer.startswith("keras 3") else "keras2"


def from_truth():
    entries = []
    for path in sorted(glob.glob(os.path.join(FIXTURES, "truth", "*.json"))):
        truth = json.load(open(path))
        text = truth.get("summary")
        if not text:
            continue
        name = os.path.basename(path)[: -len(".json")]
        style = style_of(truth["writer"])
        target = os.path.join(OUT, "%s.%s.txt" % (name, style))
        with open(target, "w", encoding="utf-8") as f:
            f.write(text if text.endswith("\n") else text + "\n")
        entries.append({
            "summary": rel(target),
            "model": rel(os.path.join(FIXTURES, name)),
            "config": architecture_for(name),
            "writer": truth["writer"],
            "style": style,
        })
    return entries


def run_old_keras(style, python, pythonpath):
    spec = OLD_KERAS[style]
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        env.update(spec["env"])
        env["HOME"] = tmp  # a fresh ~/.keras/keras.json with the defaults
        env["THEANO_FLAGS"] = "cxx=,base_compiledir=%s/theano" % tmp
        if pythonpath:
            env["PYTHONPATH"] = pythonpath
        script = os.path.join(ROOT, "scripts", "summaries", spec["script"])
        subprocess.check_call([python, script, tmp], env=env)
        prefix = "k1_" if style == "keras1" else "k2_"
        for old in glob.glob(os.path.join(MODELS, prefix + "*.h5")):
            os.remove(old)
        for old in glob.glob(os.path.join(OUT, prefix + "*.%s.txt" % style)):
            os.remove(old)
        for old in glob.glob(os.path.join(OUT, "explained", prefix + "*")):
            os.remove(old)
        for h5 in sorted(glob.glob(os.path.join(tmp, "*.h5"))):
            base = os.path.basename(h5)
            shutil.copyfile(h5, os.path.join(MODELS, base))
            folder = os.path.join(OUT, "explained") if base in EXPLAINED else OUT
            shutil.copyfile(h5[: -len(".h5")] + ".txt", os.path.join(folder, "%s.%s.txt" % (base, style)))


def old_keras_entries(folder):
    entries = []
    for style, spec in OLD_KERAS.items():
        prefix = "k1_" if style == "keras1" else "k2_"
        for text in sorted(glob.glob(os.path.join(folder, "%s*.%s.txt" % (prefix, style)))):
            model = os.path.basename(text)[: -len(".%s.txt" % style)]
            entries.append({
                "summary": rel(text),
                "model": rel(os.path.join(MODELS, model)),
                "config": None,
                "writer": spec["writer"],
                "style": style,
            })
    return entries


# ---- mutations of real summaries ------------------------------------------------------------

BOX_ROW = "│"


def row_blocks(lines, style):
    """(first, last, name) of every layer row of the table: the lines between separators."""
    if style == "keras3":
        blocks, start = [], None
        for i, line in enumerate(lines):
            if line.startswith(BOX_ROW):
                if start is None:
                    start = i
            elif start is not None:
                blocks.append((start, i - 1))
                start = None
        return [(a, b, lines[a].split(BOX_ROW)[1].strip().split(" (")[0]) for a, b in blocks]
    header = next(i for i, l in enumerate(lines) if "Layer (type)" in l)
    first = header + 2  # after the "=" rule
    blocks, start = [], None
    for i in range(first, len(lines)):
        line = lines[i]
        stripped = line.strip()
        is_rule = stripped == "" or set(stripped) <= {"_"} or set(stripped) <= {"="}
        if not is_rule and start is None:
            start = i
        if is_rule and start is not None:
            blocks.append((start, i - 1))
            start = None
        if set(stripped) == {"="}:
            break
    return [(a, b, lines[a].strip().split(" (")[0]) for a, b in blocks]


def column_start(lines, label):
    header = next(l for l in lines if "Layer (type)" in l)
    return header.index(label)


def replace_at(line, start, old, new):
    """Replaces `old` found at or after `start` by `new`, keeping the columns aligned."""
    at = line.index(old, start)
    padded = new + " " * max(0, len(old) - len(new))
    return line[:at] + padded + line[at + len(old):]


def edit_params(lines, style, row, new):
    a, _, _ = find_row(lines, style, row)
    line = lines[a]
    if style == "keras3":
        cells = line.split(BOX_ROW)
        old = cells[3].strip()
        cells[3] = cells[3].replace(old, new.rjust(len(old)) if len(new) <= len(old) else new)
        lines[a] = BOX_ROW.join(cells)
        return old
    start = column_start(lines, "Param #")
    old = re.match(r"\S+", line[start:]).group(0)
    lines[a] = replace_at(line, start, old, new)
    return old


def change_shape(lines, style, row):
    """`(None, 16)` -> `(None, 17)`: the row's last output dimension plus one."""
    a, _, _ = find_row(lines, style, row)
    line = lines[a]
    start = line.index(BOX_ROW, 1) if style == "keras3" else column_start(lines, "Output Shape")
    match = re.compile(r"\(([^()]*?)(\d+)\)").search(line, start)
    old = match.group(0)
    new = "(%s%d)" % (match.group(1), int(match.group(2)) + 1)
    lines[a] = line[: match.start()] + new + line[match.end():]
    return old, new


def remove_row(lines, style, row):
    a, b, _ = find_row(lines, style, row)
    # With the separator after it (the one before it for the last row of a box table).
    if style == "keras3" and lines[b + 1].startswith("└"):
        del lines[a - 1: b + 1]
    else:
        del lines[a: b + 2]


def edit_total(lines, new):
    for i, line in enumerate(lines):
        m = re.match(r"(\s*Total params: )([\d,]+)", line)
        if m:
            lines[i] = line[: m.end(1)] + new + line[m.end(2):]
            return m.group(2)
    raise ValueError("no Total params line")


def find_row(lines, style, row):
    blocks = row_blocks(lines, style)
    for a, b, name in blocks:
        if name == row:
            return a, b, name
    # A name cut by its column (standalone Keras 2): the row whose cell has no "(" left.
    if style != "keras3":
        width = column_start(lines, "Output Shape")
        for a, b, name in blocks:
            cell = lines[a][:width].strip()
            if "(" not in cell and row.startswith(cell):
                return a, b, name
    raise ValueError("no row %r" % row)


# (source summary, mutation, row, kind verify must report, how the file-less check catches it)
# file-less: "row" = that row's count fits no possibility, "totals" = the rows no longer add up
# to the printed total, null = nothing to recompute (a shape change on a weightless row...).
MUTATIONS = [
    ("k3_sequential_basic.keras.keras3.txt", "params", "dense_1", "69", "row"),
    ("k3_sequential_basic.keras.keras3.txt", "remove", "dropout", None, None),
    ("k3_sequential_basic.keras.keras3.txt", "shape", "dense", None, "row"),
    ("k3_sequential_basic.keras.keras3.txt", "total", None, "277", "totals"),
    ("k3_functional_fit.keras.keras3.txt", "params", "out", "42", "row"),
    ("k3_functional_fit.keras.keras3.txt", "remove", "concatenate", None, None),
    ("k3_functional_fit.keras.keras3.txt", "shape", "batch_normalization", None, "row"),
    ("k3_recurrent.keras.keras3.txt", "params", "gru", "196", "row"),
    ("tfk_functional_nested.h5.keras2.txt", "params", "shared", "36", "row"),
    ("tfk_functional_nested.h5.keras2.txt", "remove", "head", None, "totals"),
    ("tfk_functional_nested.h5.keras2.txt", "shape", "cat", None, None),
    ("tfk_sequential_basic.h5.keras2.txt", "params", "batch_normalization", "46", "row"),
    ("tfk_recurrent.h5.keras2.txt", "params", "lstm", "201", "row"),
    ("k1_functional.h5.keras1.txt", "params", "mix", "56", "row"),
    ("k1_functional.h5.keras1.txt", "remove", "add_ab", None, None),
    ("k1_functional.h5.keras1.txt", "shape", "mix", None, "row"),
    ("k1_recurrent.h5.keras1.txt", "params", "lstm", "366", "row"),
    ("k2_sequential.h5.keras2.txt", "params", "a_rather_long_layer_name_for_the_head", "86", "totals"),
    ("k2_sequential.h5.keras2.txt", "remove", "dense", None, "totals"),
    ("k2_sequential.h5.keras2.txt", "shape", "batch_normalization", None, "row"),
    ("k2_conv.h5.keras2.txt", "params", "conv2d", "225", "row"),
]

KIND = {"params": "params", "remove": "missing_row", "shape": "output_shape", "total": "total_params"}


def mutate(index):
    by_summary = {os.path.basename(e["summary"]): e for e in index}
    folder = os.path.join(OUT, "mutated")
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    expected = []
    for source, mutation, row, value, without_file in MUTATIONS:
        entry = by_summary.get(source)
        if entry is None:
            print("skipped (no %s)" % source, file=sys.stderr)
            continue
        text = open(os.path.join(ROOT, entry["summary"]), encoding="utf-8").read()
        lines = text.split("\n")
        style = entry["style"]
        if mutation == "params":
            old = edit_params(lines, style, row, value)
            what = "%s: Param # %s -> %s" % (row, old, value)
        elif mutation == "remove":
            remove_row(lines, style, row)
            what = "%s: row removed" % row
        elif mutation == "shape":
            old, new = change_shape(lines, style, row)
            what = "%s: Output Shape %s -> %s" % (row, old, new)
        else:
            old = edit_total(lines, value)
            what = "Total params %s -> %s" % (old, value)
        base = source[: -len(".txt")]
        target = os.path.join(folder, "%s.%s%s.txt" % (base, mutation, "" if row is None else "." + row))
        with open(target, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        expected.append({
            "summary": rel(target),
            "model": entry["model"],
            "config": entry["config"],
            "writer": entry["writer"],
            "style": style,
            "mutation": what,
            "row": row,
            "kind": KIND[mutation],
            "without_file": without_file,
        })
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    return len(expected)


def explained_index():
    expected = []
    for text in sorted(glob.glob(os.path.join(OUT, "explained", "*.txt"))):
        base = os.path.basename(text)
        model, style, _ = base.rsplit(".", 2)
        why = EXPLAINED[model]
        expected.append({
            "summary": rel(text),
            "model": rel(os.path.join(MODELS, model)),
            "config": None,
            "writer": OLD_KERAS[style]["writer"],
            "style": style,
            "differences": why["differences"],
            "mentions": why["mentions"],
            "why": why["why"],
        })
    with open(os.path.join(OUT, "explained", "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keras1", help="Python 2.7 with Keras 1.2.2 + Theano")
    parser.add_argument("--keras1-path", help="PYTHONPATH for it (a pip --target folder)")
    parser.add_argument("--keras2", help="Python 3.6 with Keras 2.3.1 + Theano")
    args = parser.parse_args()

    os.makedirs(MODELS, exist_ok=True)
    os.makedirs(os.path.join(OUT, "explained"), exist_ok=True)
    for old in glob.glob(os.path.join(OUT, "*.keras3.txt")):
        os.remove(old)
    if args.keras1:
        run_old_keras("keras1", args.keras1, args.keras1_path)
    if args.keras2:
        run_old_keras("keras2", args.keras2, None)

    index = from_truth() + old_keras_entries(OUT)
    for old in glob.glob(os.path.join(OUT, "*.keras2.txt")):
        if rel(old) not in {e["summary"] for e in index}:
            os.remove(old)
    with open(os.path.join(OUT, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    explained_index()
    count = mutate(index)
    print("%d summaries, %d mutated, in %s" % (len(index), count, rel(OUT)))


if __name__ == "__main__":
    sys.exit(main())
