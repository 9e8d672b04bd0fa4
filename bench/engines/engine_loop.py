"""The engine side of the benchmark protocol in Python (see engine-loop.mjs): JSON lines on stdin/stdout."""
import json
import resource
import sys
import time


def serve(info, setup, run):
    """info() -> dict; setup(workload) -> note or None (builds and warms up); run(workload): one iteration."""
    for line in sys.stdin:
        msg = json.loads(line)
        reply = {"id": msg["id"], "ok": True}
        try:
            if msg["cmd"] == "info":
                reply["info"] = info()
            elif msg["cmd"] == "setup":
                note = setup(msg["workload"])
                if note:
                    reply["note"] = note
            elif msg["cmd"] == "run":
                t0 = time.perf_counter()
                for _ in range(msg["iters"]):
                    run(msg["workload"])
                reply["seconds"] = time.perf_counter() - t0
            elif msg["cmd"] == "memory":
                # Peak resident set size of this process (Linux reports KiB).
                reply["maxRssBytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            elif msg["cmd"] == "quit":
                return
            else:
                reply = {"id": msg["id"], "ok": False, "error": "unknown command " + msg["cmd"]}
        except Exception as e:  # reported to the coordinator, which skips the row
            reply = {"id": msg["id"], "ok": False, "error": repr(e)}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
