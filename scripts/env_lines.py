#!/usr/bin/python3
"""The `%env` lines that 00-start-here tells users to paste must work exactly as shown.

  env_lines.py make START NOTEBOOK
      writes NOTEBOOK: a cell holding every `%env NAME=VALUE` line shown (indented) in START's
      markdown, as it is shown, then a cell that prints each NAME's value.
  env_lines.py check START EXECUTED
      the executed notebook has no error and prints every NAME with the VALUE its line set.
Run by scripts/notebooks.sh with VAEKIT_QUICK unset and GOMLX_BACKEND as the caller set it, which
scripts/kernel.sh writes into the kernel's settings (empty in `make test`): there a value printed can
only have come from the line."""
import json
import re
import sys

LINE = re.compile(r"^    (%env (\w+)=(\S+))\s*$")


def shown(start):
    """The `%env` lines shown in START's markdown: (line, name, value)."""
    nb = json.load(open(start))
    found = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for line in "".join(cell["source"]).split("\n"):
            if line.startswith("    %env"):
                m = LINE.match(line)
                if not m:
                    sys.exit(f"{start}: the line {line.strip()!r} is not `%env NAME=VALUE` alone (GoNB takes every word after %env as its arguments)")
                found.append(m.groups())
    if not found:
        sys.exit(f"{start}: no indented `%env NAME=VALUE` line found in its markdown")
    return found


def cell(kind, text, n):
    c = {"cell_type": kind, "id": f"env-{n}", "metadata": {}, "source": text}
    if kind == "code":
        c.update(execution_count=None, outputs=[])
    return c


def make(start, out):
    lines = shown(start)
    prints = "\n".join(f'fmt.Printf("{n}=%q\\n", os.Getenv("{n}"))' for _, n, _ in lines)
    nb = {"cells": [cell("code", "\n".join(l for l, _, _ in lines), 1), cell("code", "%%\n" + prints, 2)],
          "metadata": {"kernelspec": {"display_name": "Go (gonb)", "language": "go", "name": "gonb"}},
          "nbformat": 4, "nbformat_minor": 5}
    json.dump(nb, open(out, "w"), indent=1)


def check(start, executed):
    nb = json.load(open(executed))
    text, problems = "", []
    for i, c in enumerate(nb["cells"]):
        for o in c.get("outputs", []):
            if o.get("output_type") == "error":
                problems.append(f"cell {i}: {o.get('ename')}: {o.get('evalue')}")
            text += "".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
    for line, name, value in shown(start):
        if f'{name}="{value}"' not in text:
            problems.append(f"`{line}` as shown in {start} did not set {name} (the cells printed: {text.strip()!r})")
    if problems:
        sys.exit("; ".join(problems))
    print(f"{len(shown(start))} %env lines of {start} set their variables")


if __name__ == "__main__":
    {"make": make, "check": check}[sys.argv[1]](sys.argv[2], sys.argv[3])
