"""Helpline's relay against a raw aiohttp relay, on this machine, in one run.

    python scripts/bench.py            # the full run (a few minutes); writes docs/
    python scripts/bench.py --quick    # a tiny run that proves the benchmark works
    python scripts/bench.py --only throughput,paced_1000

What runs: the raw reference relay (scripts/bench_relay_raw.py) and the real
server (``python -m helpline serve``, default configuration: SQLite in a fresh
data directory), each started fresh for each scenario, pinned to CPU 0; the
load generator (scripts/bench_load.py) in its own process, pinned to CPU 1,
drives both with the same frames. Every scenario runs ``--repeat`` times per
relay, alternating, and the table shows the median with the spread (min–max).
Everything listens on 127.0.0.1 only and is stopped at the end, also after an
error or Ctrl-C. Targets are ratios to the raw relay in the same run (issue 4);
the table says whether each is met. No test depends on these figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

LANGUAGES = ["en", "de", "nl", "fr", "pl"]  # five of the default queues
QUEUE_MATCH_RATE = 200  # chats taken a second in the queue scenario (the core's as well)
SERVER_CPU, LOAD_CPU = 0, 1
STARTED: list[int] = []  # every process started, for the report (the test checks they ended)


@dataclass(frozen=True)
class Sizes:
    """How big each scenario is: the issue's figures, or tiny ones for --quick."""

    repeat: int
    warmup_s: float
    duration_s: float
    throughput_pairs: int
    loaded_pairs: int
    light_pairs: int
    curve_pairs: tuple[int, ...]
    idle_seekers: int
    idle_matched: int  # connections (half of them chats' seekers, half counsellors)
    warm: int
    burst: int
    burst_concurrency: int
    queue_small: int
    queue_large: int
    queue_counsellors: int
    core_ops: int


FULL = Sizes(
    repeat=3,
    warmup_s=1.5,
    duration_s=5.0,
    throughput_pairs=100,
    loaded_pairs=1000,
    light_pairs=100,
    curve_pairs=(250, 500),
    idle_seekers=5000,
    idle_matched=5000,
    warm=200,
    burst=3000,
    burst_concurrency=100,
    queue_small=100,
    queue_large=10_000,
    queue_counsellors=50,
    core_ops=2000,
)
QUICK = Sizes(
    repeat=1,
    warmup_s=0.2,
    duration_s=0.5,
    throughput_pairs=4,
    loaded_pairs=10,
    light_pairs=4,
    curve_pairs=(),
    idle_seekers=40,
    idle_matched=20,
    warm=10,
    burst=40,
    burst_concurrency=10,
    queue_small=10,
    queue_large=40,
    queue_counsellors=3,
    core_ops=50,
)


# -- processes ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def pinned(cpu: int) -> Callable[[], None]:
    def pin() -> None:
        with contextlib.suppress(OSError, AttributeError):
            os.sched_setaffinity(0, {cpu % (os.cpu_count() or 1)})

    return pin


def wait_ready(port: int, proc: subprocess.Popen[bytes], path: str | None) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if path is None:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            else:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1):
                    pass
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not start within 60 s")


@contextlib.contextmanager
def server(target: str, data_dir: Path) -> Iterator[tuple[int, int]]:
    """Start the raw relay or Helpline; yield (port, pid); stop it afterwards."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if target == "raw":
        command = [sys.executable, str(HERE / "bench_relay_raw.py"), str(port)]
        ready_path = None
    else:
        command = [sys.executable, "-m", "helpline", "serve"]
        env |= {"HELPLINE_PORT": str(port), "HELPLINE_DATA_DIR": str(data_dir)}
        ready_path = "/healthz"
    log_path = data_dir.parent / f"{target}-server.log"
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=log,
            preexec_fn=pinned(SERVER_CPU),
        )
    STARTED.append(proc.pid)
    try:
        wait_ready(port, proc, ready_path)
        yield port, proc.pid
    except BaseException:
        # The load failed: the server's own account of it is the first thing to read.
        print(f"\n--- {target} server log (end) ---", file=sys.stderr)
        print(log_path.read_text(errors="replace")[-4000:], file=sys.stderr)
        raise
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.returncode not in (0, -15):
            print(log_path.read_text(errors="replace")[-2000:], file=sys.stderr)


def load(args: dict[str, Any]) -> dict[str, Any]:
    """Run one scenario in the load generator process; its JSON result."""
    with subprocess.Popen(
        [sys.executable, str(HERE / "bench_load.py"), json.dumps(args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        preexec_fn=pinned(LOAD_CPU),
    ) as proc:
        STARTED.append(proc.pid)
        try:
            stdout, stderr = proc.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    done = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    if done.returncode != 0:
        raise RuntimeError(
            f"load generator failed in {args['scenario']} ({args['target']}):\n"
            + done.stderr.decode(errors="replace")[-3000:]
        )
    result: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return result


# -- running scenarios -------------------------------------------------------------


class Bench:
    def __init__(self, sizes: Sizes, work: Path) -> None:
        self.sizes = sizes
        self.work = work
        self.data_dir = work / "helpline-data"
        self.tokens_file = work / "tokens.json"
        self.results: dict[str, dict[str, dict[str, list[float]]]] = {}

    def prepare(self, counsellors: int) -> None:
        """Counsellor accounts with certified keys and sessions (scripts/bench_setup.py)."""
        subprocess.run(
            [
                sys.executable,
                str(HERE / "bench_setup.py"),
                str(self.data_dir),
                str(counsellors),
                ",".join(LANGUAGES),
                str(self.tokens_file),
            ],
            cwd=ROOT,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
            check=True,
        )

    def record(self, scenario: str, target: str, result: dict[str, Any]) -> None:
        metrics = self.results.setdefault(scenario, {})
        for name, value in result.items():
            metrics.setdefault(name, {}).setdefault(target, []).append(float(value))

    def run(
        self, scenario: str, load_scenario: str, fresh_each_time: bool = False, **extra: Any
    ) -> None:
        """``repeat`` runs per relay, alternating raw and Helpline."""
        print(f"  {scenario} ...", end="", flush=True)
        started = time.monotonic()
        repeat = self.sizes.repeat
        if fresh_each_time:
            for _ in range(repeat):
                for target in ("raw", "helpline"):
                    with server(target, self.data_dir) as (port, pid):
                        self.record(
                            scenario, target, self._load(load_scenario, target, port, pid, extra)
                        )
        else:
            with server("raw", self.data_dir) as raw, server("helpline", self.data_dir) as ours:
                for _ in range(repeat):
                    for target, (port, pid) in (("raw", raw), ("helpline", ours)):
                        self.record(
                            scenario, target, self._load(load_scenario, target, port, pid, extra)
                        )
        print(f" {time.monotonic() - started:.0f} s", flush=True)

    def _load(
        self, scenario: str, target: str, port: int, pid: int, extra: dict[str, Any]
    ) -> dict[str, Any]:
        args = {
            "scenario": scenario,
            "target": target,
            "base": f"ws://127.0.0.1:{port}",
            "pid": pid,
            "languages": LANGUAGES,
            "tokens_file": str(self.tokens_file),
            "warmup_s": self.sizes.warmup_s,
            "duration_s": self.sizes.duration_s,
        } | extra
        return load(args)

    def run_queue_scaling(self) -> None:
        print("  queue scaling ...", end="", flush=True)
        started = time.monotonic()
        sizes = self.sizes
        for _ in range(sizes.repeat):
            for waiting in (sizes.queue_small, sizes.queue_large):
                with server("helpline", self.data_dir) as (port, pid):
                    result = self._load(
                        "queue_scaling",
                        "helpline",
                        port,
                        pid,
                        {
                            "waiting": waiting,
                            "counsellors": sizes.queue_counsellors,
                            "match_rate": QUEUE_MATCH_RATE,
                        },
                    )
                self.record("queue_scaling", f"waiting_{waiting}", result)
            import bench_core  # here: it imports helpline, which the servers need not

            for waiting in (sizes.queue_small, sizes.queue_large):
                core = bench_core.measure_queue_scaling(waiting, ops=sizes.core_ops)
                self.record("queue_core", f"waiting_{waiting}", core)
        print(f" {time.monotonic() - started:.0f} s", flush=True)


def run_all(sizes: Sizes, only: set[str] | None) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="helpline-bench-") as tmp:
        bench = Bench(sizes, Path(tmp))

        def wanted(name: str) -> bool:
            return only is None or name in only

        needs = {
            "paced_loaded": sizes.loaded_pairs,
            "paced_light": sizes.light_pairs,
            "curve": max(sizes.curve_pairs, default=0),
            "idle_matched": sizes.idle_matched // 2,
            "throughput": sizes.throughput_pairs,
            "queue_scaling": sizes.queue_counsellors,
        }
        most = max([count for name, count in needs.items() if wanted(name)], default=1)
        print(f"setting up {most} counsellor accounts ...", flush=True)
        bench.prepare(most)

        run_relays(bench, sizes, wanted)
        if wanted("queue_scaling"):
            bench.run_queue_scaling()
        return bench.results, time.monotonic() - started


def run_relays(bench: Bench, sizes: Sizes, wanted: Callable[[str], bool]) -> None:
    """The scenarios that compare Helpline with the raw relay."""
    if wanted("throughput"):
        bench.run("throughput", "throughput", pairs=sizes.throughput_pairs)
    if wanted("paced_loaded"):
        bench.run("paced_loaded", "paced", pairs=sizes.loaded_pairs, rate=10)
    if wanted("paced_light"):
        bench.run("paced_light", "paced", pairs=sizes.light_pairs, rate=10)
    if wanted("curve"):
        for pairs in sizes.curve_pairs:
            bench.run(f"paced_{pairs}", "paced", pairs=pairs, rate=10)
    for name, count, matched in (
        ("idle_waiting", sizes.idle_seekers, False),
        ("idle_matched", sizes.idle_matched, True),
    ):
        if wanted(name):
            bench.run(
                name,
                "idle_memory",
                fresh_each_time=True,
                count=count,
                warm=sizes.warm,
                matched=matched,
            )
    if wanted("burst"):
        bench.run("burst", "burst", count=sizes.burst, concurrency=sizes.burst_concurrency)


# -- the table ---------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def spread(values: list[float]) -> str:
    if len(values) < 2:
        return ""
    return f" ({_num(min(values))}–{_num(max(values))})"


def _num(value: float) -> str:
    if value != value:  # NaN
        return "–"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


@dataclass(frozen=True)
class Row:
    label: str
    scenario: str
    metric: str
    left: str  # the column compared with: "raw", or a queue length
    right: str
    unit: str
    target: str  # e.g. ">= 0.8x", "<= 1.5x", "<= 2 ms"
    scale: float = 1.0


def rows(sizes: Sizes) -> list[Row]:
    small, large = f"waiting_{sizes.queue_small}", f"waiting_{sizes.queue_large}"
    loaded, light = sizes.loaded_pairs, sizes.light_pairs
    return [
        Row(
            f"throughput, {sizes.throughput_pairs} chats pipelined",
            "throughput",
            "frames_per_s",
            "raw",
            "helpline",
            "frames/s",
            ">= 0.8x",
        ),
        Row("  server CPU", "throughput", "server_cores", "raw", "helpline", "cores", ""),
        Row(
            f"latency p50, {loaded} chats x 10/s per side",
            "paced_loaded",
            "p50_ms",
            "raw",
            "helpline",
            "ms",
            "",
        ),
        Row(
            f"latency p99, {loaded} chats x 10/s per side",
            "paced_loaded",
            "p99_ms",
            "raw",
            "helpline",
            "ms",
            "<= 1.5x",
        ),
        Row("  server CPU", "paced_loaded", "server_cores", "raw", "helpline", "cores", "<= 1.25x"),
        Row(
            f"latency p50, {light} chats x 10/s per side",
            "paced_light",
            "p50_ms",
            "raw",
            "helpline",
            "ms",
            "",
        ),
        Row(
            f"latency p99, {light} chats x 10/s per side",
            "paced_light",
            "p99_ms",
            "raw",
            "helpline",
            "ms",
            "<= 2 ms",
        ),
        Row(
            f"memory per waiting seeker ({sizes.idle_seekers})",
            "idle_waiting",
            "bytes_per_connection",
            "raw",
            "helpline",
            "KiB",
            "<= 1.25x",
            1 / 1024,
        ),
        Row(
            f"memory per connection in chats ({sizes.idle_matched})",
            "idle_matched",
            "bytes_per_connection",
            "raw",
            "helpline",
            "KiB",
            "<= 1.25x",
            1 / 1024,
        ),
        Row(
            f"arrivals: joins/s ({sizes.burst} seekers; raw: connections/s)",
            "burst",
            "per_s",
            "raw",
            "helpline",
            "/s",
            ">= 0.5x",
        ),
        Row(
            "  time until told the position, p50",
            "burst",
            "told_p50_ms",
            "raw",
            "helpline",
            "ms",
            "",
        ),
        Row(
            "  time until told the position, p99",
            "burst",
            "told_p99_ms",
            "raw",
            "helpline",
            "ms",
            "",
        ),
        Row(
            "queue: server CPU per match (live)",
            "queue_scaling",
            "cpu_us_per_match",
            small,
            large,
            "µs",
            "",
        ),
        Row("queue: matches/s (live)", "queue_scaling", "matches_per_s", small, large, "/s", ""),
        Row(
            "queue: join to position p50 (live)",
            "queue_scaling",
            "join_p50_ms",
            small,
            large,
            "ms",
            "<= 2x",
        ),
        Row(
            "queue: position updates/s (live)",
            "queue_scaling",
            "positions_per_s",
            small,
            large,
            "/s",
            "",
        ),
        Row("queue: time per join (core)", "queue_core", "join_us", small, large, "µs", "<= 2x"),
        Row("queue: time per match (core)", "queue_core", "match_us", small, large, "µs", "<= 2x"),
        Row(
            "queue: position updates/s (core)",
            "queue_core",
            "positions_per_s",
            small,
            large,
            "/s",
            "",
        ),
    ]


def verdict(row: Row, left: float, right: float) -> str:
    if not row.target or left != left or right != right:
        return ""
    kind, bound = row.target.split(" ", 1)
    if bound.endswith("ms"):
        ok = right <= float(bound.removesuffix(" ms"))
    else:
        ratio = right / left if left else float("inf")
        limit = float(bound.removesuffix("x"))
        ok = ratio >= limit if kind == ">=" else ratio <= limit
    return "met" if ok else "NOT MET"


def table(results: dict[str, Any], sizes: Sizes) -> tuple[str, list[dict[str, Any]]]:
    lines = [
        "| scenario | raw relay (or 100 waiting) | Helpline (or 10,000 waiting) | ratio "
        "| target | |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    if sizes is QUICK:
        lines[0] = (
            lines[0]
            .replace("100 waiting", f"{sizes.queue_small} waiting")
            .replace("10,000 waiting", f"{sizes.queue_large} waiting")
        )
    checks = []
    for row in rows(sizes):
        metric = results.get(row.scenario, {}).get(row.metric)
        if metric is None:
            continue
        left_values = [v * row.scale for v in metric.get(row.left, [])]
        right_values = [v * row.scale for v in metric.get(row.right, [])]
        left, right = median(left_values), median(right_values)
        ratio = right / left if left else float("nan")
        result = verdict(row, left, right)
        if result:
            checks.append({"label": row.label.strip(), "target": row.target, "result": result})
        lines.append(
            f"| {row.label} | {_num(left)}{spread(left_values)} | "
            f"{_num(right)}{spread(right_values)} {row.unit} | {ratio:.2f}x | {row.target} | "
            f"{result} |"
        )
    return "\n".join(lines), checks


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    import aiohttp

    try:
        import uvloop

        loop = f"uvloop {uvloop.__version__}"
    except ImportError:
        loop = "asyncio"
    return (
        f"{os.cpu_count()} × {model}, Python {platform.python_version()}, "
        f"aiohttp {aiohttp.__version__}, {loop}, Linux {platform.release()}"
    )


# -- output ------------------------------------------------------------------------

DOCS = ROOT / "docs"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def write_docs(markdown: str, report: dict[str, Any]) -> None:
    (DOCS / "performance.json").write_text(json.dumps(report, indent=2) + "\n")
    path = DOCS / "performance.md"
    text = path.read_text() if path.exists() else f"# Performance\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{BEGIN}\n{markdown}\n{END}{tail}")


def plot(results: dict[str, Any], sizes: Sizes, out: Path) -> bool:
    """Latency (p50 and p99) against load for both relays, as a PNG."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot", file=sys.stderr)
        return False
    loads = sorted({sizes.light_pairs, sizes.loaded_pairs, *sizes.curve_pairs})
    names = {sizes.light_pairs: "paced_light", sizes.loaded_pairs: "paced_loaded"}
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    for target, colour in (("raw", "tab:gray"), ("helpline", "tab:blue")):
        for metric, style in (("p50_ms", "--"), ("p99_ms", "-")):
            xs, ys = [], []
            for pairs in loads:
                values = results.get(names.get(pairs, f"paced_{pairs}"), {}).get(metric, {})
                if values.get(target):
                    xs.append(pairs * 20)  # frames a second through the relay
                    ys.append(median(values[target]))
            label = f"{'raw relay' if target == 'raw' else 'Helpline'} {metric[:3]}"
            ax.plot(xs, ys, style, marker="o", color=colour, label=label)
    ax.set_xlabel("envelopes relayed per second (chats × 2 sides × 10/s)")
    ax.set_ylabel("latency, sender to receiver (ms)")
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    ax.set_title("Latency against load")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: proves it works")
    parser.add_argument("--repeat", type=int, help="repetitions per relay (default 3)")
    parser.add_argument("--only", help="comma-separated scenario names")
    parser.add_argument("--out", type=Path, help="write results.json (and the plot) here")
    parser.add_argument(
        "--no-docs", action="store_true", help="do not update docs/performance.{md,json}"
    )
    options = parser.parse_args(argv)
    sizes = QUICK if options.quick else FULL
    if options.repeat:
        sizes = Sizes(**(sizes.__dict__ | {"repeat": options.repeat}))
    only = set(options.only.split(",")) if options.only else None
    print(f"Helpline benchmark on {machine()}", flush=True)
    results, elapsed = run_all(sizes, only)
    markdown, checks = table(results, sizes)
    report = {
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d"),
        "command": "python scripts/bench.py" + (" --quick" if options.quick else ""),
        "elapsed_s": round(elapsed),
        "sizes": sizes.__dict__ | {"curve_pairs": list(sizes.curve_pairs)},
        "results": results,
        "targets": checks,
        "processes": STARTED,
    }
    print()
    print(markdown)
    print()
    missed = [c["label"] for c in checks if c["result"] != "met"]
    print(f"{len(checks) - len(missed)} of {len(checks)} targets met in {elapsed:.0f} s")
    if options.out:
        options.out.mkdir(parents=True, exist_ok=True)
        (options.out / "results.json").write_text(json.dumps(report, indent=2) + "\n")
        plot(results, sizes, options.out / "latency.png")
    if not options.quick and not options.no_docs and only is None:
        write_docs(markdown, report)
        plot(results, sizes, DOCS / "performance-latency.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
