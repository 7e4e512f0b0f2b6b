"""The 10x rule: does 10 times the data cost at most 1.5 times the time?

    .venv/bin/python bench/scale.py \
        --small postgres://postgres@127.0.0.1:5432/parley_bench10k \
        --large postgres://postgres@127.0.0.1:5432/parley_bench --rounds 3

Runs bench/inbox.py on the two databases (built by bench/generate.py at 10k and 100k
creators) in alternating rounds, so that other work on a shared machine falls on both
alike, and prints each scenario's p95 (the median of the rounds' p95s) and their ratio.
A ratio over --limit (1.5) is marked MISS. Options after `--` go to inbox.py
(`-- --only "inbox:" --no-http`).
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_inbox(database_url: str, runs: int, extra: list[str]) -> dict[str, float]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(
            [
                sys.executable,
                str(HERE / "inbox.py"),
                "--database-url",
                database_url,
                "--runs",
                str(runs),
                "--json",
                out.name,
                *extra,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        results = json.loads(Path(out.name).read_text())["results"]
    return {r["name"]: r["p95"] for r in results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", required=True, help="database URL of the 10k workspace")
    parser.add_argument("--large", required=True, help="database URL of the 100k workspace")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=30, help="timed runs per scenario a round")
    parser.add_argument("--limit", type=float, default=1.5)
    args, extra = parser.parse_known_args()
    extra = [a for a in extra if a != "--"]
    small: dict[str, list[float]] = {}
    large: dict[str, list[float]] = {}
    for round_no in range(1, args.rounds + 1):
        for url, into in ((args.small, small), (args.large, large)):
            for name, p95 in run_inbox(url, args.runs, extra).items():
                into.setdefault(name, []).append(p95)
        print(f"round {round_no}/{args.rounds} done", file=sys.stderr, flush=True)
    print(f"{'scenario':<44} {'small p95':>10} {'large p95':>10} {'ratio':>6}")
    for name, small_p95s in small.items():
        s = statistics.median(small_p95s)
        big = statistics.median(large[name])
        ratio = big / s
        mark = "MISS" if ratio > args.limit else "ok"
        print(f"{name:<44} {s:>10.2f} {big:>10.2f} {ratio:>6.2f}  {mark}")


if __name__ == "__main__":
    main()
