#!/usr/bin/env python3
"""What tuner's `/v1/chat/completions` costs over calling the provider directly.

Sets up the release binaries as `tests/clients/run.py` does (tuner-emulator + `tuner serve` on a
fresh SQLite file, the model `support` trained, a READER token; see tests/clients/stack.py),
with tuner's per-token chat limits lifted, then on loopback compares tuner against the emulator
called directly with the same request tuner forwards (the provider model, the trained system
prompt first, the emulator's key):

1. memory per open stream: tuner's VmRSS idle, then with N streams held open (emulator pause
   1 s between chunks, every stream has received its first event), divided by N;
2. non-streaming, with wrk and bench/post_json.lua (emulator stream delay irrelevant): one
   connection (added latency) and a fixed concurrency (throughput), direct and through tuner
   alternately, with the CPU each server spent per request (from /proc/PID/stat);
3. streaming time to first event (TTFB: request written -> first `data:` line read), asyncio
   raw HTTP/1.1: sequentially (stream closed after its first event) and at the fixed
   concurrency with each stream read to `[DONE]` (emulator pause --stream-delay-ms).

    cargo build --release --workspace --bins
    apt-get install wrk
    python3 bench/chat_bench.py [--bin-dir target/release] [--streams 1000] [--concurrency 16]
                                [--duration 15] [--rounds 2] [--json results.json]

Prints each measurement and a summary against the goals (tuner adds < 1 ms at p50, keeps
>= 80% of the direct requests/s, TTFB within 1 ms of direct).
"""

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "clients"))

from stack import EMULATOR_KEY, MODEL_NAME, Stack, StackError, http, proc_status_kb  # noqa: E402

LUA = os.path.join(ROOT, "bench", "post_json.lua")
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def percentile(values, p):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


class Target:
    """Where to send a chat request: tuner (model name, tuner token) or the emulator directly."""

    def __init__(self, name, port, token, body, pid):
        self.name, self.port, self.token, self.body, self.pid = name, port, token, body, pid
        self.url = f"http://127.0.0.1:{port}/v1/chat/completions"

    def request_bytes(self, stream):
        body = dict(self.body, stream=stream)
        data = json.dumps(body).encode()
        head = (
            f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Authorization: Bearer {self.token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
        )
        return head.encode() + data


# -- wrk ---------------------------------------------------------------------------------------

def wrk_ms(text):
    """A wrk duration ("812.00us", "1.20ms", "2.01s") in milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    value, unit = float(match.group(1)), match.group(2)
    return value * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def run_wrk(target, connections, duration, servers):
    threads = min(2, connections)
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency",
            "-s", LUA, target.url]
    env = dict(os.environ, BENCH_TOKEN=target.token, BENCH_BODY=json.dumps(target.body))
    before = {name: cpu_seconds(pid) for name, pid in servers.items()}
    out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout
    after = {name: cpu_seconds(pid) for name, pid in servers.items()}
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    result = {
        "target": target.name,
        "connections": connections,
        "requests": requests,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": wrk_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        "p99_ms": wrk_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
        "cpu_us_per_request": {
            name: round((after[name] - before[name]) / max(requests, 1) * 1e6, 1) for name in servers
        },
        "command": " ".join(argv),
    }
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    if bad or errors or requests == 0:
        raise SystemExit(f"wrk against {target.name} had failures:\n{out}")
    return result


# -- raw HTTP streams --------------------------------------------------------------------------

async def one_stream(target, payload, read_all, first_events=None):
    """Sends a streaming request; returns seconds from the request written to the first `data:`
    line. With read_all, reads to the end and checks `[DONE]` came."""
    reader, writer = await asyncio.open_connection("127.0.0.1", target.port)
    try:
        started = time.perf_counter()
        writer.write(payload)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            rest = await reader.read(2000)
            raise RuntimeError(f"{target.name}: {head.splitlines()[0]!r} {rest[:300]!r}")
        seen = b""
        while b"data:" not in seen:
            chunk = await reader.read(65536)
            if not chunk:
                raise RuntimeError(f"{target.name}: the stream ended before its first event")
            seen += chunk
        ttfb = time.perf_counter() - started
        if first_events is not None:
            first_events.append(ttfb)
        if read_all:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                seen += chunk
            if b"data: [DONE]" not in seen:
                raise RuntimeError(f"{target.name}: the stream ended without [DONE]")
        return ttfb
    finally:
        writer.close()


async def ttfb_sequential(targets, count):
    """`count` streams per target one at a time, the targets alternating; closed after the first
    event."""
    results = {t.name: [] for t in targets}
    payloads = {t.name: t.request_bytes(stream=True) for t in targets}
    for _ in range(count):
        for target in targets:
            results[target.name].append(
                await one_stream(target, payloads[target.name], read_all=False))
    return results


async def ttfb_concurrent(target, concurrency, duration):
    """`concurrency` workers streaming whole answers back to back for `duration` seconds."""
    payload = target.request_bytes(stream=True)
    samples = []
    deadline = time.monotonic() + duration

    async def worker():
        while time.monotonic() < deadline:
            samples.append(await one_stream(target, payload, read_all=True))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return samples


async def hold_streams(target, count, pids):
    """Opens `count` streams at once; once each has its first event, reads the VmRSS of each
    process in `pids`. Returns ({name: RSS in kB with all open}, seconds to open them all)."""
    payload = target.request_bytes(stream=True)
    opened = []
    started = time.monotonic()
    tasks = [asyncio.create_task(one_stream(target, payload, True, opened)) for _ in range(count)]
    while len(opened) < count:
        for task in tasks:
            if task.done() and task.exception():
                raise task.exception()
        await asyncio.sleep(0.05)
    open_secs = time.monotonic() - started
    await asyncio.sleep(1.0)
    rss = {name: proc_status_kb(pid, "VmRSS") for name, pid in pids.items()}
    for task in tasks:
        if task.done() and not task.exception():
            raise SystemExit(
                "a stream ended before the RSS was read: raise the emulator's pause (--hold-delay-ms)")
    await asyncio.gather(*tasks)
    return rss, open_secs


# -- main --------------------------------------------------------------------------------------

def summary(values):
    return {"p50_ms": round(percentile(values, 50) * 1000, 3),
            "p99_ms": round(percentile(values, 99) * 1000, 3), "n": len(values)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin-dir", default=os.path.join(ROOT, "target", "release"))
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run at --concurrency")
    parser.add_argument("--latency-duration", type=int, default=10, help="seconds per one-connection run")
    parser.add_argument("--rounds", type=int, default=2, help="direct/tuner alternations per wrk setting")
    parser.add_argument("--streams", type=int, default=1000, help="streams held open for memory")
    parser.add_argument("--hold-delay-ms", type=int, default=1000, help="emulator pause while holding")
    parser.add_argument("--stream-delay-ms", type=int, default=30, help="emulator pause for TTFB")
    parser.add_argument("--ttfb-count", type=int, default=500, help="sequential streams per target")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")

    log = lambda line: print(line, flush=True)  # noqa: E731
    results = {"machine": {"nproc": os.cpu_count(), "load_before": os.getloadavg()}}
    tuner_args = ["--chat-requests-per-minute", "0",
                  "--chat-max-concurrent-per-token", str(max(10_000, args.streams * 2))]
    try:
        stack = Stack(tuner=os.path.join(args.bin_dir, "tuner"),
                      emulator=os.path.join(args.bin_dir, "tuner-emulator"),
                      stream_delay_ms=0, tuner_args=tuner_args, log=log)
        with stack:
            run(stack, args, results, log)
    except StackError as error:
        sys.exit(f"setting up: {error}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


def run(stack, args, results, log):
    user = {"role": "user", "content": "bench: how do I reset my password?"}
    tuner = Target("tuner", stack.tuner_port, stack.reader,
                   {"model": MODEL_NAME, "messages": [user]}, stack.tuner.pid)
    direct = Target("direct", stack.emulator_port, EMULATOR_KEY,
                    {"model": stack.provider_model,
                     "messages": [{"role": "system", "content": stack.system_prompt}, user]},
                    stack.emulator.pid)
    servers = {"tuner": stack.tuner.pid, "emulator": stack.emulator.pid}

    # Both targets must give the same answer, or the comparison means nothing.
    answers = {}
    for target in (direct, tuner):
        status, _, body = http("POST", target.url, target.body,
                               {"authorization": f"Bearer {target.token}"})
        if status != 200:
            raise SystemExit(f"{target.name} answered {status}: {body[:300]!r}")
        answers[target.name] = json.loads(body)["choices"][0]["message"]["content"]
    if answers["tuner"] != answers["direct"] or "echo: bench" not in answers["tuner"]:
        raise SystemExit(f"tuner and the emulator answer differently: {answers}")
    log(f"same answer from both: {answers['tuner']!r}")

    # 1. Memory per open stream (first, before load has grown the allocator's pools).
    stack.set_stream_delay(0)
    asyncio.run(ttfb_sequential([tuner], 50))
    time.sleep(3)
    idle = {name: proc_status_kb(pid, "VmRSS") for name, pid in servers.items()}
    stack.set_stream_delay(args.hold_delay_ms)
    held, open_secs = asyncio.run(hold_streams(tuner, args.streams, servers))
    time.sleep(3)
    after = proc_status_kb(stack.tuner.pid, "VmRSS")
    memory = {"streams": args.streams, "idle_kb": idle, "held_kb": held, "tuner_after_kb": after,
              "per_stream_kb": {name: round((held[name] - idle[name]) / args.streams, 1)
                                for name in servers},
              "open_secs": round(open_secs, 2)}
    results["memory"] = memory
    log(f"memory: tuner idle {idle['tuner']} kB, {args.streams} streams open {held['tuner']} kB "
        f"-> {memory['per_stream_kb']['tuner']} kB per stream; {after} kB 3 s after they ended "
        f"(the emulator, serving them: {memory['per_stream_kb']['emulator']} kB per stream); "
        f"all open after {open_secs:.2f} s")

    # 2. Non-streaming with wrk: one connection, then --concurrency; direct and tuner alternate.
    stack.set_stream_delay(0)
    results["wrk"] = []
    for connections, duration in ((1, args.latency_duration), (args.concurrency, args.duration)):
        for _ in range(args.rounds):
            for target in (direct, tuner):
                r = run_wrk(target, connections, duration, servers)
                results["wrk"].append(r)
                log(f"wrk c={connections} {target.name:6}: {r['rps']:9.1f} req/s  p50 {r['p50_ms']:.3f} ms"
                    f"  p99 {r['p99_ms']:.3f} ms  CPU/request {r['cpu_us_per_request']}")

    # 3. Streaming TTFB.
    stack.set_stream_delay(args.stream_delay_ms)
    sequential = asyncio.run(ttfb_sequential([direct, tuner], args.ttfb_count))
    results["ttfb_sequential"] = {name: summary(v) for name, v in sequential.items()}
    for name, v in results["ttfb_sequential"].items():
        log(f"TTFB sequential {name:6}: p50 {v['p50_ms']:.3f} ms  p99 {v['p99_ms']:.3f} ms  ({v['n']} streams)")
    results["ttfb_concurrent"] = {}
    for target in (direct, tuner):
        samples = asyncio.run(ttfb_concurrent(target, args.concurrency, args.duration))
        v = results["ttfb_concurrent"][target.name] = summary(samples)
        log(f"TTFB c={args.concurrency} {target.name:6}: p50 {v['p50_ms']:.3f} ms  p99 {v['p99_ms']:.3f} ms"
            f"  ({v['n']} whole streams)")

    report(results, args, log)


def report(results, args, log):
    def median_of(target, connections, key):
        return statistics.median(r[key] for r in results["wrk"]
                                 if r["target"] == target and r["connections"] == connections)

    c = args.concurrency
    added_p50 = median_of("tuner", 1, "p50_ms") - median_of("direct", 1, "p50_ms")
    kept = median_of("tuner", c, "rps") / median_of("direct", c, "rps")
    added_p50_c = median_of("tuner", c, "p50_ms") - median_of("direct", c, "p50_ms")
    seq = results["ttfb_sequential"]
    ttfb_added = seq["tuner"]["p50_ms"] - seq["direct"]["p50_ms"]
    con = results["ttfb_concurrent"]
    ttfb_added_c = con["tuner"]["p50_ms"] - con["direct"]["p50_ms"]
    goals = {
        "added_p50_ms_one_connection": (round(added_p50, 3), added_p50 < 1.0),
        f"added_p50_ms_at_{c}": (round(added_p50_c, 3), added_p50_c < 1.0),
        f"rps_kept_at_{c}": (round(kept, 3), kept >= 0.8),
        "ttfb_added_p50_ms_sequential": (round(ttfb_added, 3), abs(ttfb_added) <= 1.0),
        f"ttfb_added_p50_ms_at_{c}": (round(ttfb_added_c, 3), abs(ttfb_added_c) <= 1.0),
    }
    results["goals"] = {k: {"value": v, "met": met} for k, (v, met) in goals.items()}
    log("goals:")
    for key, (value, met) in goals.items():
        log(f"  {key:32} {value:>8}  {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
