#!/usr/bin/python3
"""Checks an executed notebook against the page a user sees: the notebook as committed, with the
outputs of its last full run.

  check_notebook.py EXECUTED SECONDS MODE COMMITTED
      no cell errors; in quick mode, every code cell shows at least as many images as the same
      cell of COMMITTED (whose code cells must all carry a run's outputs, and no empty output
      area: --tidy), and the run took no longer than its budget (metadata
      vaekit.quick_budget_seconds).
  check_notebook.py --tidy NOTEBOOK
      removes the output areas a run leaves empty (the live loss curves' block, cleared when the
      final curves are shown under it) from a notebook saved by a full run.
  check_notebook.py --same FIRST SECOND
      two executions of one notebook show the same images, cell by cell, byte for byte (the
      second run reads back the runs the first trained: a rerun must show the same page)."""
import hashlib
import json
import sys


def images(path):
    """The image outputs of each code cell of a notebook, as digests, by cell index."""
    nb = json.load(open(path))
    return nb, {i: [hashlib.sha256(o["data"]["image/png"].encode()).hexdigest()
                    for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
                for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"}


def empty(output):
    """Whether an output shows nothing: display data whose every form is blank."""
    data = output.get("data")
    return data is not None and all("".join(v).strip() == "" for v in data.values() if isinstance(v, (str, list)))


def tidy(path):
    nb = json.load(open(path))
    removed = 0
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            kept = [o for o in cell.get("outputs", []) if not empty(o)]
            removed += len(cell.get("outputs", [])) - len(kept)
            cell["outputs"] = kept
    with open(path, "w") as f:
        json.dump(nb, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"{path}: {removed} empty output areas removed")


def check(executed, seconds, mode, committed):
    nb, got = images(executed)
    problems = []
    for i, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                problems.append(f"cell {i}: {out.get('ename')}: {out.get('evalue')}")
    if mode == "quick":
        ref, want = images(committed)
        unrun = [i for i, c in enumerate(ref["cells"]) if c["cell_type"] == "code" and c.get("execution_count") is None]
        if unrun:
            problems.append(f"{committed}: code cells {unrun} carry no outputs of a run; commit it with the outputs of a full run (make notebooks-full)")
        blank = [i for i, c in enumerate(ref["cells"]) if any(empty(o) for o in c.get("outputs", []))]
        if blank:
            problems.append(f"{committed}: code cells {blank} keep empty output areas; scripts/check_notebook.py --tidy removes them")
        if len(ref["cells"]) != len(nb["cells"]):
            problems.append(f"{len(nb['cells'])} cells, the committed notebook {len(ref['cells'])}")
        for i, w in want.items():
            if len(got.get(i, [])) < len(w):
                problems.append(f"cell {i}: {len(got.get(i, []))} images, the committed notebook shows {len(w)}")
        budget = ref.get("metadata", {}).get("vaekit", {}).get("quick_budget_seconds")
        if budget is not None and seconds > budget:
            problems.append(f"took {seconds} s in quick mode, over its budget of {budget} s (metadata vaekit.quick_budget_seconds)")
    if problems:
        print(f"{executed}:", *problems, sep="\n  ")
        sys.exit(1)
    print(f"{sum(len(v) for v in got.values())} images, {seconds} s")


def same(first, second):
    _, a = images(first)
    _, b = images(second)
    differ = [i for i in sorted(a.keys() | b.keys()) if a.get(i) != b.get(i)]
    if differ:
        print(f"{second}: images differ from {first}'s in cells", ", ".join(
            f"{i} ({len(a.get(i, []))} then {len(b.get(i, []))} images)" for i in differ))
        sys.exit(1)
    print(f"the same {sum(len(v) for v in a.values())} images, cell by cell")


if sys.argv[1] == "--same":
    same(sys.argv[2], sys.argv[3])
elif sys.argv[1] == "--tidy":
    tidy(sys.argv[2])
else:
    check(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4])
