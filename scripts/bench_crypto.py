"""Median time of one HLP1 seal + open of a message in the 1 KiB bucket (Python, PyNaCl).

    .venv/bin/python scripts/bench_crypto.py [runs]

Prints figures only; no test depends on timings. Each run seals one type 1 frame with
a fresh chain step and opens it again through every receiver check (header, counter,
secretbox, padding, JSON), as a session does.
"""

from __future__ import annotations

import statistics
import sys
import time

from crypto.chains import ReceiveChain, SendChain
from crypto.frames import DIR_S2C, MessageBody


def main(argv: list[str]) -> int:
    runs = int(argv[0]) if argv else 20_000
    chat_id, ck = bytes(16), bytes(range(32))
    text = "x" * 900  # a plaintext of 922 bytes: the 1024 bucket
    sender = SendChain(ck, chat_id, 0, DIR_S2C)
    receiver = ReceiveChain(ck, chat_id, 0, DIR_S2C)
    seal_times, open_times, both = [], [], []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        frame = sender.seal(MessageBody(text, None))
        t1 = time.perf_counter_ns()
        opened = receiver.open(frame)
        receiver.commit(opened)
        t2 = time.perf_counter_ns()
        seal_times.append(t1 - t0)
        open_times.append(t2 - t1)
        both.append(t2 - t0)
    assert len(frame) == 27 + 1024
    print(f"HLP1 seal + open, 1 KiB bucket, {runs} runs (Python {sys.version.split()[0]})")
    for name, values in (("seal", seal_times), ("open", open_times), ("seal + open", both)):
        q = statistics.quantiles(values, n=100)
        print(
            f"  {name:12s} median {statistics.median(values) / 1000:8.1f} µs"
            f"   p10 {q[9] / 1000:8.1f} µs   p90 {q[89] / 1000:8.1f} µs"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
