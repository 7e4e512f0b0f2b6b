"""Parley's mass email beside django-post-office 3.12, in one run, with the ratios.

    .venv/bin/python bench/compare_mail.py --rounds 3              # SQLite and PostgreSQL
    .venv/bin/python bench/compare_mail.py --database sqlite --rounds 1 --recipients 2000

One SMTP sink (bench/smtp_sink.py) for both. Per engine, each side's template database is
built, then the rounds alternate between the sides (Parley first in odd rounds), so drift
on a shared machine falls on both; a ratio is taken within a round, then summarised.
Parley's figures are bench/broadcast.py's, post-office's bench/postoffice/run.py's (its
scratch venv is made when missing). Prints median (min-max) over the rounds; --json FILE
keeps every figure.

Issue 12's targets: the request ≤ 0.5 s; every row written in ≤ 1.5 s and at least twice
as fast as send_many; one worker at least 1.5 times post-office's emails/s; two workers
faster than one.
"""

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "postoffice"))

from broadcast import ParleySide, parley_rows  # noqa: E402
from maildb import DEFAULT_POSTGRES, fmt, machine  # noqa: E402
from run import DEFAULT_VENV, PostOfficeSide, postoffice_rows  # noqa: E402
from smtp_sink import Sink  # noqa: E402


def ratios(parley: list[dict[str, Any]], post: list[dict[str, Any]]) -> dict[str, list[float]]:
    """Per round: send_many's time over Parley's write, and Parley's emails/s over
    post-office's (one worker against one process); Parley's two workers over one."""
    out: dict[str, list[float]] = {}
    for p, o in zip(parley, post, strict=True):
        writes = [b["queue_s"] for b in p["broadcasts"]]
        many = [b["send_many_s"] for b in o["batches"]]
        out.setdefault("send_many / Parley write", []).append(
            statistics.median(many) / statistics.median(writes)
        )
        mine = {b["workers"]: b["emails_per_s"] for b in p["broadcasts"]}
        theirs = {b["processes"]: b["emails_per_s"] for b in o["batches"]}
        out.setdefault("Parley 1 worker / post-office 1 process", []).append(mine[1] / theirs[1])
        out.setdefault("Parley 2 workers / post-office 1 process", []).append(mine[2] / theirs[1])
        out.setdefault("Parley 2 workers / Parley 1 worker", []).append(mine[2] / mine[1])
    return out


def table(kind: str, parley: list[dict[str, Any]], post: list[dict[str, Any]]) -> str:
    p, o = parley_rows(parley), postoffice_rows(post)
    lines = [
        f"{kind}: median (min-max) over {len(parley)} rounds, 2 mass emails a round a side",
        "",
        "| figure | Parley | django-post-office 3.12 | target |",
        "|---|---|---|---|",
        f"| request: inbox POST (draft) | {fmt(p['draft_post_s'], 3)} s | | |",
        f"| request: compose POST (check, send) | {fmt(p['send_post_s'], 3)} s | | |",
        f"| request: both | {fmt(p['request_s'], 3)} s | | ≤ 0.5 s |",
        f"| write every row (broadcast_queue / send_many) | {fmt(p['queue_s'])} s "
        f"| {fmt(o['send_many_s'])} s | ≤ 1.5 s |",
        f"| … its CPU time in the writing process | {fmt(p['queue_cpu_s'])} s | | |",
        f"| … then the search index merged (SQLite; the worker's job) | {fmt(p['tidy_s'])} s | | |",
        f"| emails/s, 1 worker (post-office: 1 process, 5 threads) | "
        f"{fmt(p['emails_per_s_1w'], 0)} | {fmt(o['emails_per_s_1p'], 0)} | |",
        f"| emails/s, 2 worker processes (post-office: processes=2) | "
        f"{fmt(p['emails_per_s_2w'], 0)} | {fmt(o['emails_per_s_2p'], 0)} | |",
        f"| CPU per email, 1 worker / 1 process (database server not included) | "
        f"{fmt(p['dispatch_cpu_ms_1w'])} ms | {fmt(o['dispatch_cpu_ms_1p'])} ms | |",
        "",
        "| ratio (within a round) | median (min-max) | target |",
        "|---|---|---|",
    ]
    targets = {
        "send_many / Parley write": "≥ 2",
        "Parley 1 worker / post-office 1 process": "≥ 1.5",
        "Parley 2 workers / Parley 1 worker": "> 1",
    }
    for name, values in ratios(parley, post).items():
        lines.append(f"| {name} | {fmt(values)} | {targets.get(name, '')} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server for the databases")
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--venv", default=DEFAULT_VENV, help="post-office's scratch venv")
    parser.add_argument("--json", default="", help="write every figure to this file")
    args = parser.parse_args()

    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    print(f"{machine()}; {args.recipients:,} recipients, {args.rounds} rounds", flush=True)
    everything: dict[str, Any] = {}
    tables = []
    with Sink() as sink:
        for kind in kinds:
            sides = [
                ParleySide(kind, args.recipients, args.postgres),
                PostOfficeSide(kind, args.recipients, args.postgres, args.venv),
            ]
            results: dict[str, list[dict[str, Any]]] = {side.name: [] for side in sides}
            try:
                for n in range(1, args.rounds + 1):
                    for side in sides if n % 2 else sides[::-1]:
                        results[side.name].append(side.round(sink.port, n))
                        print(f"  {kind} round {n} {side.name}: done ({machine()})", flush=True)
            finally:
                for side in sides:
                    side.close()
            everything[kind] = results
            tables.append(table(kind, results["Parley"], results["post-office"]))
            print("\n" + tables[-1] + "\n", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(everything, indent=2))
    print("\n\n".join(tables))


if __name__ == "__main__":
    main()
