"""The gateway container's requests and limits, derived from the benchmark's
last results (tests/benchmarks/results/results.json; README "Performance").

    python3 deploy/kubernetes/sizing.py [results.json]

prints each figure with the measurement it comes from. base/deployment.yaml
and the systemd unit's MemoryMax carry them; manifests_test keeps them equal.
The rules:

- cpu request: the CPU the gateway used in the production-like scenario
  (mTLS + token + policy, 100 ms upstream latency, 100 calls in flight),
  rounded up to 50m;
- cpu limit: the most CPU the gateway used in any scenario, rounded up to
  500m (the benchmark machine has 2 cores, shared with the load);
- memory request: the largest peak RSS with at most 100 calls in flight,
  rounded up to 16 MiB;
- memory limit: the smallest peak RSS (the gateway at rest) plus
  limits.max_calls_in_flight (2048) times the largest RSS per call in flight
  measured with 1000 or more in flight, plus 20 %, rounded up to 32 MiB: the
  gateway refuses calls beyond that many, so this is its ceiling.
"""

import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "..", "..", "tests", "benchmarks", "results", "results.json")
PRODUCTION_LIKE = "d: mTLS + token + policy, 100 ms latency, 100 in flight"
MAX_CALLS_IN_FLIGHT = 2048  # limits.max_calls_in_flight's default
HEADROOM = 1.2


def round_up(value, step):
    return int(math.ceil(value / step - 1e-9) * step)


def cores(gateway):
    return gateway["gateway_cpu_seconds"] / gateway["seconds"]


def derive(results):
    """{"requests": {"cpu": "350m", "memory": "80Mi"}, "limits": {...}} and
    the lines that say where each figure comes from."""
    scenarios = {r["scenario"]: r["gateway"] for r in results["results"]}
    typical = scenarios[PRODUCTION_LIKE]
    busiest_name, busiest = max(scenarios.items(), key=lambda item: cores(item[1]))
    light = {n: g for n, g in scenarios.items() if g["concurrency"] <= 100}
    light_name, light_peak = max(light.items(), key=lambda item: item[1]["gateway_peak_rss_mb"])
    rest_name, rest = min(scenarios.items(), key=lambda item: item[1]["gateway_peak_rss_mb"])
    heavy = {n: g for n, g in scenarios.items() if g["concurrency"] >= 1000}
    heavy_name, heavy_call = max(heavy.items(),
                                 key=lambda item: item[1]["rss_kb_per_call_in_flight"])

    cpu_request = round_up(cores(typical) * 1000, 50)
    cpu_limit = round_up(cores(busiest) * 1000, 500)
    memory_request = round_up(light_peak["gateway_peak_rss_mb"], 16)
    ceiling = (rest["gateway_peak_rss_mb"]
               + MAX_CALLS_IN_FLIGHT * heavy_call["rss_kb_per_call_in_flight"] / 1024)
    memory_limit = round_up(ceiling * HEADROOM, 32)
    why = [
        f"cpu request {cpu_request}m: {cores(typical):.3f} cores in \"{PRODUCTION_LIKE}\" "
        f"({typical['ok_per_second']:.0f} calls/s, {typical['cpu_us_per_call']} us/call)",
        f"cpu limit {cpu_limit}m: {cores(busiest):.3f} cores, the most in any scenario "
        f"(\"{busiest_name}\")",
        f"memory request {memory_request}Mi: peak RSS {light_peak['gateway_peak_rss_mb']} MiB "
        f"with <= 100 calls in flight (\"{light_name}\")",
        f"memory limit {memory_limit}Mi: {rest['gateway_peak_rss_mb']} MiB at rest "
        f"(\"{rest_name}\") + {MAX_CALLS_IN_FLIGHT} calls in flight x "
        f"{heavy_call['rss_kb_per_call_in_flight']} KiB (\"{heavy_name}\") = {ceiling:.0f} MiB, "
        f"+20 %",
    ]
    resources = {"requests": {"cpu": f"{cpu_request}m", "memory": f"{memory_request}Mi"},
                 "limits": {"cpu": f"{cpu_limit}m", "memory": f"{memory_limit}Mi"}}
    return resources, why


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else RESULTS
    with open(path) as f:
        resources, why = derive(json.load(f))
    for line in why:
        print(line)
    print(json.dumps(resources))


if __name__ == "__main__":
    main()
