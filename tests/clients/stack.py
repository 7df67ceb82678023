"""A throwaway tuner with a trained model: `tuner-emulator` + `tuner serve` on a fresh SQLite file.

`Stack` starts the provider emulator (real clock, fast job phases) and `tuner serve` (on the
database given, else a new SQLite file) on free loopback ports, reads the ADMIN token from the
first-start banner on stdout, grants credits with `tuner credits grant`, then over GraphQL sets
the emulator as the `openai` provider, creates two global rules, ten training blocks and the
custom model `support`, trains it until the job is SUCCEEDED and the model is in
`availableModels`, and creates a READER token. Used as a context
manager, it always stops both processes (and says where their logs are when something failed).

Only the standard library is used, so both `tests/clients/run.py` and `bench/chat_bench.py`
can import it.
"""

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

RULES = [
    "Always answer in a friendly, professional tone.",
    "Keep answers under three sentences.",
]
MODEL_NAME = "support"
EMULATOR_KEY = "sk-local"


class StackError(RuntimeError):
    """The stack could not be set up; the message says which step failed."""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def default_binary(name, profile=None):
    """`target/<profile>/<name>`; without a profile, release if it exists, else debug."""
    profiles = [profile] if profile else ["release", "debug"]
    for candidate in profiles:
        path = os.path.join(ROOT, "target", candidate, name)
        if os.path.exists(path):
            return path
    raise StackError(
        f"no target/{'|'.join(profiles)}/{name}: build it first "
        "(cargo build --workspace --bins [--release])"
    )


def http(method, url, body=None, headers=None, timeout=30):
    """One HTTP request; returns (status, headers, body bytes), also for 4xx/5xx answers."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("content-type", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def proc_status_kb(pid, field):
    """A `kB` field (VmRSS, VmHWM) of /proc/PID/status."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise StackError(f"no {field} in /proc/{pid}/status")


class Stack:
    """tuner + emulator with the model `support` trained; see the module docstring."""

    def __init__(
        self,
        tuner=None,
        emulator=None,
        stream_delay_ms=150,
        tuner_args=(),
        tuner_env=None,
        emulator_args=None,
        database_url=None,
        tuner_prefix=(),
        log=print,
    ):
        self.tuner_bin = tuner or default_binary("tuner")
        self.emulator_bin = emulator or default_binary("tuner-emulator")
        self.stream_delay_ms = stream_delay_ms
        self.tuner_args = list(tuner_args)
        self.tuner_env = dict(tuner_env or {})
        self.emulator_args = list(emulator_args or ["--running-secs", "2", "--steps", "2"])
        self.log = log
        self.dir = tempfile.mkdtemp(prefix="tuner-clients-")
        self.emulator_port = free_port()
        self.tuner_port = free_port()
        self.emulator_url = f"http://127.0.0.1:{self.emulator_port}"
        self.base = f"http://127.0.0.1:{self.tuner_port}"
        self.database_url = database_url or f"sqlite://{self.dir}/tuner.db"
        self.tuner_prefix = list(tuner_prefix)
        self.env = dict(
            os.environ,
            TUNER_DATABASE_URL=self.database_url,
            TUNER_SECRET_KEY=base64.b64encode(os.urandom(32)).decode(),
            TUNER_SECRET_KEY_FILE=os.path.join(self.dir, "tuner.key"),
        )
        self.processes = []
        self.admin = None
        self.reader = None
        self.provider_model = None
        self.system_prompt = None
        self._stdout_lines = []
        self._failed = False

    # -- processes ---------------------------------------------------------------------------

    def __enter__(self):
        try:
            self.start()
            self.train()
        except BaseException:
            self._failed = True
            self.stop()
            raise
        return self

    def __exit__(self, kind, value, traceback):
        if kind is not None:
            self._failed = True
        self.stop()
        return False

    def _spawn(self, name, argv, env, stdout):
        stderr = open(os.path.join(self.dir, f"{name}.log"), "wb")
        process = subprocess.Popen(
            argv, env=env, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL
        )
        process.name = name
        self.processes.append(process)
        return process

    def start(self):
        self.log(f"emulator on {self.emulator_url}, tuner on {self.base}, files in {self.dir}")
        self.emulator = self._spawn(
            "emulator",
            [
                self.emulator_bin,
                "--listen", f"127.0.0.1:{self.emulator_port}",
                "--api-key", EMULATOR_KEY,
                "--validating-secs", "0",
                "--queued-secs", "0",
                *self.emulator_args,
                "--stream-delay-ms", str(self.stream_delay_ms),
            ],
            dict(os.environ, **self.tuner_env),
            subprocess.DEVNULL,
        )
        self._spawn_tuner(dict(self.env, **self.tuner_env))
        self._wait_ready()

    def restart_tuner(self, env=None):
        """Stops `tuner serve` and starts it again on the same database and port, with `env`
        added to its environment."""
        self.tuner.terminate()
        self.tuner.wait(timeout=10)
        self.processes.remove(self.tuner)
        self._spawn_tuner(dict(self.env, **self.tuner_env, **(env or {})))
        self._wait_ready()

    def _spawn_tuner(self, env):
        self.tuner = self._spawn(
            "tuner",
            [
                *self.tuner_prefix,
                self.tuner_bin, "serve",
                "--listen", f"127.0.0.1:{self.tuner_port}",
                "--poll-interval", "1",
                *self.tuner_args,
            ],
            env,
            subprocess.PIPE,
        )
        # Drain stdout (the bootstrap banner) so the pipe never fills.
        threading.Thread(target=self._read_stdout, args=(self.tuner,), daemon=True).start()

    def _read_stdout(self, process):
        for raw in process.stdout:
            self._stdout_lines.append(raw.decode(errors="replace"))

    def _wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        emulator_up = tuner_up = False
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.poll() is not None:
                    raise StackError(
                        f"{process.name} exited with {process.returncode} while starting; "
                        f"see {self.dir}/{process.name}.log"
                    )
            if not emulator_up:
                try:
                    status, _, _ = http(
                        "GET", f"{self.emulator_url}/v1/models",
                        headers={"authorization": f"Bearer {EMULATOR_KEY}"}, timeout=2,
                    )
                    emulator_up = status == 200
                except OSError:
                    pass
            if not tuner_up:
                try:
                    tuner_up = http("GET", f"{self.base}/readyz", timeout=2)[0] == 200
                except OSError:
                    pass
            if emulator_up and tuner_up:
                break
            time.sleep(0.1)
        else:
            raise StackError(
                f"not ready after {timeout} s (emulator: {emulator_up}, tuner /readyz: {tuner_up})"
            )
        for _ in range(50):
            match = re.search(r"\btnr_[A-Za-z0-9_\-]+", "".join(self._stdout_lines))
            if match:
                self.admin = match.group(0)
                return
            time.sleep(0.1)
        raise StackError("tuner printed no ADMIN token on its first start (bootstrap banner)")

    def stop(self):
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in reversed(self.processes):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes = []
        if self._failed:
            self.log(f"logs kept in {self.dir} (emulator.log, tuner.log)")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- GraphQL -----------------------------------------------------------------------------

    def gql(self, query, variables=None, token=None):
        status, _, body = http(
            "POST",
            f"{self.base}/graphql",
            {"query": query, "variables": variables or {}},
            {"authorization": f"Bearer {token or self.admin}"},
        )
        try:
            answer = json.loads(body)
        except ValueError:
            raise StackError(f"GraphQL answered {status} with a non-JSON body: {body[:300]!r}")
        if status != 200 or answer.get("errors"):
            raise StackError(f"GraphQL {query.split('(')[0].strip()!r} failed ({status}): {answer}")
        return answer["data"]

    def grant_credits(self, credits=1000):
        """`tuner credits grant` to the first workspace."""
        grant = subprocess.run(
            [self.tuner_bin, "credits", "grant", "--workspace", "default", str(credits)],
            env=self.env, capture_output=True, text=True, timeout=60,
        )
        if grant.returncode != 0:
            raise StackError(f"tuner credits grant failed: {grant.stderr.strip()}")

    def use_emulator_as_openai(self):
        """Stores the emulator as the workspace's `openai` provider."""
        self.gql(
            "mutation($key: String!, $url: String!) {"
            " setProviderCredentials(provider: \"openai\", apiKey: $key, baseUrl: $url)"
            " { provider } }",
            {"key": EMULATOR_KEY, "url": f"{self.emulator_url}/v1"},
        )

    def train(self, timeout=90):
        self.grant_credits()
        self.use_emulator_as_openai()
        for rule in RULES:
            self.gql("mutation($t: String!) { createGlobalRule(text: $t) { id } }", {"t": rule})
        for i in range(10):
            self.gql(
                "mutation($input: CreateTrainingBlockInput!) { createTrainingBlock(input: $input) { id } }",
                {"input": {"exchanges": [{
                    "prompt": f"Question {i}: how do I reset my password?",
                    "response": f"Answer {i}: use the 'Forgot password' link on the sign-in page.",
                }]}},
            )
        model_id = self.gql(
            "mutation($name: String!) { createCustomModel(input: { name: $name }) { id } }",
            {"name": MODEL_NAME},
        )["createCustomModel"]["id"]
        job = self.gql(
            "mutation($m: ID!) { runTrainingJob(modelId: $m, input: { suffix: \"support\" })"
            " { id status error { message } } }",
            {"m": model_id},
        )["runTrainingJob"]
        self.log(f"training job {job['id']}: {job['status']}")
        deadline = time.monotonic() + timeout
        while job["status"] != "SUCCEEDED":
            if job["status"] in ("FAILED", "CANCELLED"):
                raise StackError(f"training job ended {job['status']}: {job.get('error')}")
            if time.monotonic() > deadline:
                raise StackError(f"training job still {job['status']} after {timeout} s")
            time.sleep(0.5)
            job = self.gql(
                "mutation($id: ID!) { refreshTrainingJob(id: $id) { id status error { message } } }",
                {"id": job["id"]},
            )["refreshTrainingJob"]
        self.log(f"training job {job['id']}: SUCCEEDED")
        self.reader = self.gql(
            "mutation { createApiToken(name: \"openai clients\", role: READER) { secret } }"
        )["createApiToken"]["secret"]
        models = self.gql(
            "{ availableModels { name providerModel systemPrompt } }", token=self.reader
        )["availableModels"]
        mine = [m for m in models if m["name"] == MODEL_NAME]
        if not mine:
            raise StackError(f"{MODEL_NAME!r} is not in availableModels after training: {models}")
        self.provider_model = mine[0]["providerModel"]
        self.system_prompt = mine[0]["systemPrompt"]
        if self.system_prompt != "\n".join(RULES):
            raise StackError(f"unexpected trained system prompt {self.system_prompt!r}")
        self.log(f"model {MODEL_NAME!r} READY as {self.provider_model}")

    def set_stream_delay(self, ms):
        """Changes the emulator's pause between streamed chunks (its admin API)."""
        status, _, body = http("POST", f"{self.emulator_url}/_emulator/stream-delay", {"ms": ms})
        if status != 200:
            raise StackError(f"emulator stream-delay answered {status}: {body[:200]!r}")
