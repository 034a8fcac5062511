#!/usr/bin/python3
"""Checks an executed notebook: no cell error, at least the number of image outputs its
metadata asks for (vaekit.min_images), and, in quick mode, that it ran within its budget
(vaekit.quick_budget_seconds). Usage: check_notebook.py EXECUTED.ipynb SECONDS MODE"""
import json
import sys

path, seconds, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
nb = json.load(open(path))
meta = nb.get("metadata", {}).get("vaekit", {})
problems = []
images = 0
for i, cell in enumerate(nb["cells"]):
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            problems.append(f"cell {i}: {out.get('ename')}: {out.get('evalue')}")
        if "image/png" in out.get("data", {}):
            images += 1
want = meta.get("min_images", 1)
if images < want:
    problems.append(f"{images} image outputs, expected at least {want} (metadata vaekit.min_images)")
budget = meta.get("quick_budget_seconds")
if mode == "quick" and budget is not None and seconds > budget:
    problems.append(f"took {seconds} s in quick mode, over its budget of {budget} s (metadata vaekit.quick_budget_seconds)")
if problems:
    print(f"{path}:", *problems, sep="\n  ")
    sys.exit(1)
print(f"{images} images, {seconds} s")
