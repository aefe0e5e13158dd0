"""How fast `course grade` gets through a class: the same batch with --jobs 1 and --jobs 2.

    sudo .venv/bin/python tests/benchmarks/grading_throughput.py      # about 25 minutes on 2 cores

The batch: 20 submissions of 01_perceptron and 5 of 06_rnn (the instructor solutions, every third
one with a wrong first answer), graded in one run per setting on this machine. Prints the wall time
and submissions per hour of each, and projects 300 students x 9 notebooks from the measured seconds
per notebook per grading slot (one slot = one core at --jobs = cores). Not part of the test command:
it measures wall-clock time, so run it on an otherwise idle machine. Writes
artifacts/benchmarks/grading_throughput.json.
"""

import json
import os
import tempfile
import time
from pathlib import Path

import nbformat

from utils import grading
from utils.paths import NOTEBOOK_DIR, REPO_ROOT

BATCH = {"01_perceptron": 20, "06_rnn": 5}
STUDENTS, NOTEBOOKS = 300, 9


def make_batch(root: Path) -> int:
    count = 0
    for name, n in BATCH.items():
        instructor = nbformat.read(str(NOTEBOOK_DIR / f"{name}.ipynb"), as_version=4)
        for i in range(n):
            nb = nbformat.from_dict(json.loads(json.dumps(instructor)))
            if i % 3 == 2:  # a wrong first answer: the check fails, the rest still runs
                first = next(c for c in nb.cells if grading.is_solution(c))
                first.source = first.source.split("### BEGIN SOLUTION")[0] + "    return None\n"
            folder = root / f"student{i:02d}"
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, str(folder / f"{name}.ipynb"))
            count += 1
    return count


def main() -> None:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "submissions"
        n = make_batch(root)
        for jobs in (1, 2):
            start = time.perf_counter()
            rows = grading.autograde(
                root,
                csv_path=Path(tmp) / f"jobs{jobs}.csv",
                jobs=jobs,
                force=True,
                verbose=False,
                progress=True,
            )
            wall = time.perf_counter() - start
            seconds = {(r["student"], r["notebook"]): r["seconds"] for r in rows}
            results[jobs] = {
                "wall_s": round(wall, 1),
                "submissions": n,
                "per_hour": round(n / wall * 3600, 1),
                "mean_notebook_s": round(sum(seconds.values()) / len(seconds), 1),
                "points": sum(r["points"] for r in rows),
            }
    slot_s = results[2]["wall_s"] * 2 / results[2]["submissions"]  # seconds per notebook per slot
    total = STUDENTS * NOTEBOOKS
    projection = {
        "one_machine_2_cores_h": round(total * slot_s / 2 / 3600, 1),
        "ten_machines_16_cores_h": round(total * slot_s / 160 / 3600, 2),
    }
    for jobs, r in results.items():
        print(
            f"--jobs {jobs}: {r['submissions']} submissions in {r['wall_s']:.0f} s = "
            f"{r['per_hour']:.0f} per hour "
            f"(mean {r['mean_notebook_s']:.0f} s per notebook; {r['points']:g} points in all)"
        )
    print(f"speed-up of --jobs 2: {results[1]['wall_s'] / results[2]['wall_s']:.2f}x")
    print(
        f"projection, {STUDENTS} students x {NOTEBOOKS} notebooks = {total} notebooks at "
        f"{slot_s:.0f} s per "
        f"notebook per slot (this batch's mix): {projection['one_machine_2_cores_h']} h on this "
        "machine "
        f"(--jobs 2), {projection['ten_machines_16_cores_h']} h on 10 machines of 16 cores (160 "
        "slots)"
    )
    out = REPO_ROOT / "artifacts" / "benchmarks"
    out.mkdir(parents=True, exist_ok=True)
    (out / "grading_throughput.json").write_text(
        json.dumps(
            {"results": results, "projection": projection, "cpu_count": os.cpu_count()}, indent=2
        )
    )


if __name__ == "__main__":
    main()
