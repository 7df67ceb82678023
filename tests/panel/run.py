#!/usr/bin/env python3
"""The admin panel in a real Chromium, end to end.

Starts `tuner-emulator` and `tuner serve` on a fresh SQLite file (tests/clients/stack.py), grants
the first workspace credits and stores the emulator as its `openai` provider, then runs every
`*.test.mjs` here with Node's test runner. The tests drive Debian's Chromium through
playwright-core (pinned in package.json; it uses /usr/bin/chromium and downloads no browser)
and write a screenshot of each page to docs/screenshots/.

    apt-get install chromium            # once; .ci/run does it
    cargo build --workspace --bins
    python3 tests/panel/run.py --install    # `npm ci` here first
    python3 tests/panel/run.py [--panel-dir panel] [--only blocks]

`--panel-dir panel` serves the panel's files from the checkout instead of the binary, so a change
to them needs no rebuild. Exits non-zero when a test fails; the processes it started are always
stopped (their logs are kept when something failed).
"""

import argparse
import glob
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "clients"))

from stack import EMULATOR_KEY, Stack, StackError, default_binary  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--install", action="store_true", help="run `npm ci` here first")
    parser.add_argument("--profile", default="debug", help="target/PROFILE holds the binaries")
    parser.add_argument("--panel-dir", help="serve the panel's files from this directory")
    parser.add_argument("--only", help="run only the test files whose name contains this")
    parser.add_argument("--screenshots", default=os.path.join(ROOT, "docs", "screenshots"))
    args = parser.parse_args()

    if args.install:
        result = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE)
        if result.returncode != 0:
            sys.exit("FAIL: npm ci in tests/panel failed")
    if not os.path.exists(os.path.join(HERE, "node_modules", "playwright-core")):
        sys.exit("FAIL: tests/panel/node_modules/playwright-core is missing; run with --install")
    if not os.access(CHROMIUM, os.X_OK):
        sys.exit(f"FAIL: no Chromium at {CHROMIUM}: apt-get install chromium (or set CHROMIUM)")

    tests = sorted(glob.glob(os.path.join(HERE, "*.test.mjs")))
    if args.only:
        tests = [t for t in tests if args.only in os.path.basename(t)]
    if not tests:
        sys.exit("FAIL: no test files matched")

    tuner_env = {"TUNER_PANEL_DIR": os.path.abspath(args.panel_dir)} if args.panel_dir else {}
    os.makedirs(args.screenshots, exist_ok=True)
    try:
        tuner = default_binary("tuner", args.profile)
        emulator = default_binary("tuner-emulator", args.profile)
    except StackError as error:
        sys.exit(f"FAIL: {error}")
    started = time.monotonic()
    # Jobs run for 8 s in 8 steps, so a page sees the loss chart grow and can cancel one.
    stack = Stack(
        tuner=tuner,
        emulator=emulator,
        tuner_env=tuner_env,
        emulator_args=["--running-secs", "8", "--steps", "8"],
    )
    try:
        stack.start()
        stack.grant_credits(1000)
        stack.use_emulator_as_openai()
        env = dict(
            os.environ,
            PANEL_URL=stack.base,
            ADMIN_TOKEN=stack.admin,
            EMULATOR_URL=stack.emulator_url,
            EMULATOR_KEY=EMULATOR_KEY,
            SCREENSHOTS=os.path.abspath(args.screenshots),
            CHROMIUM=CHROMIUM,
        )
        argv = ["node", "--test", "--test-force-exit", "--test-concurrency=1", "--test-reporter=spec", *tests]
        result = subprocess.run(argv, cwd=HERE, env=env, timeout=900)
        if result.returncode != 0:
            stack._failed = True
            sys.exit(f"FAIL: panel tests failed (exit {result.returncode})")
    except StackError as error:
        stack._failed = True
        sys.exit(f"FAIL: setting up tuner and the emulator: {error}")
    except subprocess.TimeoutExpired as error:
        stack._failed = True
        sys.exit(f"FAIL: {error}")
    finally:
        stack.stop()
    print(f"panel: all tests passed in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
