#!/usr/bin/env python3
"""What abusive requests cost a running `tuner serve`: time per request and the server's memory.

Starts the release binary on a fresh SQLite file, fills the workspace to the documented limits
(500 global rules of 2,000 characters), then sends fragment bombs, alias floods, answers over the
size cap, concurrent bombs while /healthz is timed, and WebSocket abuse. Prints one line per case
with the wall time and the server's VmRSS after it, then VmHWM (peak) and the RSS at the end.

    cargo build --release --bin tuner
    pip install websockets==13.1
    python3 bench/abuse.py [--tuner target/release/tuner]
"""

import argparse
import asyncio
import base64
import json
import os
import re
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import websockets


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    raise RuntimeError(f"no {field}")


def post(base, query, token=None, timeout=120):
    body = json.dumps({"query": query}).encode()
    request = urllib.request.Request(f"{base}/graphql", data=body, method="POST")
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, text = response.status, response.read()
    except urllib.error.HTTPError as err:
        status, text = err.code, err.read()
    return status, text, time.monotonic() - started


def fragment_bomb(levels, leaf):
    parts = [f"query {{ ...F{levels} }} fragment F0 on Query {{ {leaf} }}"]
    for level in range(1, levels + 1):
        parts.append(f"fragment F{level} on Query {{ ...F{level - 1} ...F{level - 1} }}")
    return " ".join(parts)


def aliases(count, selection):
    return "{ " + " ".join(f"a{i}: {selection}" for i in range(count)) + " }"


def outcome(status, text):
    try:
        answer = json.loads(text)
    except ValueError:
        return f"HTTP {status}, not JSON"
    errors = answer.get("errors") or []
    if errors:
        code = (errors[0].get("extensions") or {}).get("code", "no code")
        return f"HTTP {status}, {code}: {errors[0]['message'][:60]}"
    return f"HTTP {status}, data"


class Server:
    def __init__(self, tuner):
        self.dir = tempfile.TemporaryDirectory()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        env.update(
            TUNER_DATABASE_URL=f"sqlite://{self.dir.name}/tuner.db",
            TUNER_SECRET_KEY=base64.b64encode(os.urandom(32)).decode(),
            RUST_LOG="warn",
        )
        self.process = subprocess.Popen(
            [tuner, "serve", "--listen", f"127.0.0.1:{self.port}"],
            cwd=self.dir.name, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        self.token = None
        for line in self.process.stdout:
            found = re.search(r"(tnr_\S+)", line)
            if found:
                self.token = found.group(1)
                break
        threading.Thread(target=self.process.stdout.read, daemon=True).start()
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{self.base}/healthz", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def rss(self):
        return status_kb(self.process.pid, "VmRSS:")

    def peak(self):
        return status_kb(self.process.pid, "VmHWM:")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


async def websocket_abuse(server):
    url = f"ws://127.0.0.1:{server.port}/graphql"
    init = json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {server.token}"}})
    query = "subscription { trainingJobUpdates { job { id } } }"
    results = []
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"], max_size=None) as ws:
        await ws.send(init)
        await ws.recv()
        for i in range(101):
            await ws.send(json.dumps({"id": str(i), "type": "subscribe", "payload": {"query": query}}))
        refused = json.loads(await ws.recv())
        results.append(f"101 subscriptions on one socket: id {refused['id']} refused")
    idle = [await websockets.connect(url, subprotocols=["graphql-transport-ws"]) for _ in range(50)]
    started = time.monotonic()
    await asyncio.gather(*(ws.wait_closed() for ws in idle))
    codes = {ws.close_code for ws in idle}
    results.append(f"50 sockets without connection_init: closed with {codes} after {time.monotonic() - started:.1f} s")
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"], max_size=None) as ws:
        await ws.send(init)
        await ws.recv()
        try:
            await ws.send("x" * 5_000_000)
        except websockets.ConnectionClosed:
            pass
        await ws.wait_closed()
        results.append(f"5 MB message: closed with {ws.close_code}")
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tuner", default="target/release/tuner")
    args = parser.parse_args()
    server = Server(os.path.abspath(args.tuner))
    print(f"RSS after start: {server.rss()} kB")
    rule = "r" * 2_000
    for _ in range(500):
        post(server.base, f'mutation {{ createGlobalRule(text: "{rule}") {{ id }} }}', server.token)
    start_rss = server.rss()
    print(f"RSS with 500 rules of 2,000 characters: {start_rss} kB")
    admin = server.token
    cases = [
        ("fragment bomb, 21 levels over __typename, no token", None, fragment_bomb(21, "__typename")),
        ("fragment bomb, 24 levels over viewer { role }, no token", None, fragment_bomb(24, "viewer { role }")),
        ("fragment bomb, 60 levels, no token", None, fragment_bomb(60, "__typename")),
        ("10,000 aliases of systemPrompt", admin, aliases(10_000, "systemPrompt")),
        ("200 aliases of systemPrompt (1 MB each)", admin, aliases(200, "systemPrompt")),
        ("20 aliases of systemPrompt (1 MB each)", admin, aliases(20, "systemPrompt")),
        ("2,499 aliases of globalRules { text } (1 MB each)", admin, aliases(2_499, "globalRules { text }")),
        ("100 aliases of globalRules { text } (1 MB each)", admin, aliases(100, "globalRules { text }")),
        ("40 aliases of globalRules { id }", admin, aliases(40, "globalRules { id }")),
        ("5,000 aliases of __typename", None, aliases(5_000, "__typename")),
    ]
    for name, token, query in cases:
        status, text, seconds = post(server.base, query, token)
        print(f"{name}: {seconds * 1000:.0f} ms, {len(text)} bytes, {outcome(status, text)}; RSS {server.rss()} kB")

    def bomb():
        post(server.base, fragment_bomb(23, "__typename"))

    threads = [threading.Thread(target=bomb) for _ in range(2)]
    for thread in threads:
        thread.start()
    _, _, health = post(server.base, "{ __typename }")
    for thread in threads:
        thread.join()
    print(f"two concurrent 23-level bombs: a request beside them took {health * 1000:.0f} ms")
    for line in asyncio.run(websocket_abuse(server)):
        print(line)
    time.sleep(2)
    end_rss = server.rss()
    print(f"peak RSS (VmHWM): {server.peak()} kB; RSS at the end: {end_rss} kB "
          f"({end_rss / start_rss:.2f}x the RSS before the abuse)")
    server.stop()


if __name__ == "__main__":
    main()
