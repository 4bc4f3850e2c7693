"""`python -m sla_core notify --dry-run` on a large store: what one cron run costs, in seconds and peak memory.

    python bench/notify.py [--tickets 1000000] [--repeat 3]

Uses the store bench/dashboard.py builds (the sample generator, ends 2026-11-26 12:00 London; built here if
absent), copied to bench/data/notify_<n>.duckdb, and the bundled policy with a Slack and a PagerDuty target.
Each run is a whole process at SLA_BOARD_NOW = the store's end, timed with /usr/bin/time:
  - "kept": the store's results were judged with this policy (the last import used it): only the clocks still
    running are judged again, as in the normal cron case;
  - "judged in full": the results were kept under a policy the engine reads differently (another at-risk ratio:
    the policy changed since the import), so every clock is judged. Editing only the notify targets keeps them.
A dry run reads the store and writes nothing, so every run finds the same messages.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dashboard import build_store  # noqa: E402
from sla_core.ingest.store import keep_results  # noqa: E402
from sla_core.policy import load_policy  # noqa: E402
from sla_core.policy.model import NotifyTarget  # noqa: E402

STORE_END = "2026-11-26T12:00:00+00:00"
TARGETS = [
    NotifyTarget(to="slack", url_env="SLACK_WEBHOOK_URL", states=["at_risk", "breached"], tiers=["critical", "high"]),
    NotifyTarget(to="pagerduty", routing_key_env="PAGERDUTY_ROUTING_KEY", states=["breached"], tiers=["critical"]),
]


def run_notify(store: Path, policy: Path) -> tuple[float, float, str]:
    """One `notify --dry-run` process: seconds, peak resident GiB, its first line."""
    done = subprocess.run(
        ["/usr/bin/time", "-f", "TIME %e %M", sys.executable, "-m", "sla_core", "notify", "--db", str(store),
         "--policy", str(policy), "--dry-run"],
        cwd=ROOT, env={**os.environ, "SLA_BOARD_NOW": STORE_END}, capture_output=True, text=True, check=True)
    seconds, kb = re.search(r"TIME (\S+) (\d+)", done.stderr).groups()  # type: ignore[union-attr]
    return float(seconds), int(kb) / 2**20, done.stdout.splitlines()[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    built = ROOT / "bench" / "data" / f"dashboard_{args.tickets}.duckdb"
    if not built.exists():
        build_store(built, args.tickets)
    store = ROOT / "bench" / "data" / f"notify_{args.tickets}.duckdb"
    shutil.copyfile(built, store)
    with tempfile.TemporaryDirectory() as folder:
        # the bundled policy plus two targets, next to the bundled playbooks so their paths still resolve
        sample = load_policy(ROOT / "sample_data" / "policy.yaml")
        policy_file = Path(folder) / "policy.yaml"
        policy_file.write_text(sample.model_copy(update={"notify": TARGETS}).to_yaml(), encoding="utf-8")
        shutil.copytree(ROOT / "sample_data" / "playbooks", Path(folder) / "playbooks")
        os.environ["SLA_BOARD_NOW"] = STORE_END
        for case in ("judged in full", "kept"):
            if case == "kept":
                keep_results(store, policy_file)
            else:
                keep_results(store, sample.model_copy(update={"at_risk_ratio": 0.5}))  # they do not fit
            runs = [run_notify(store, policy_file) for _ in range(args.repeat)]
            seconds = [r[0] for r in runs]
            print(f"{args.tickets:,} tickets, {case}: {statistics.median(seconds):.2f} s median "
                  f"(runs {', '.join(f'{s:.2f}' for s in seconds)}), peak {max(r[1] for r in runs):.2f} GiB; "
                  f"{runs[0][2]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
