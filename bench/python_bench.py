#!/usr/bin/env python3
"""The Python package (bindings/python) on the shipped policy: Engine.decide(...).allowed
per request, beside a pure-Python baseline in the same run, a dict from
(method, template) to the scopes that grant it, looked up with the template already known
(like the C++ hand-written baseline, bench/baseline.hpp). Prints the median of ROUNDS
rounds over the mix, in ns of CPU time per decision, and their ratio.

usage: SCOPEGATE_LIBRARY=build-release/bindings/c/libscopegate.so.0 \\
         PYTHONPATH=bindings/python /usr/bin/python3 bench/python_bench.py [--rounds N] [POLICIES]

The mix: every route line of the policy with `{...}` replaced by 42, for the keys holding
0 to 4 of its plain scopes, anonymous, the roles admin and member; plus one unknown route
per principal.
"""
import argparse
import pathlib
import re
import statistics
import time

import scopegate

BLOCK = re.compile(
    r"^(?:(future|user) )?scope ([a-z][a-z0-9-]*:[a-z][a-z0-9-]*) \{|^(public|authenticated) \{"
)
ROUTE = re.compile(r"^\s+(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) +(/\S*)")


def routes(policies):
    """(method, template, scope kind, scope) for every route line, in file order."""
    found = []
    for path in sorted(pathlib.Path(policies).glob("*.policy")):
        kind = scope = None
        for line in path.read_text().splitlines():
            block = BLOCK.match(line)
            if block:
                kind = block.group(1) or block.group(3) or "plain"
                scope = block.group(2)
            elif line.startswith("}"):
                kind = scope = None
            route = ROUTE.match(line)
            if route and kind:
                found.append((route.group(1), route.group(2), kind, scope))
    return found


def median_ns(function, requests, rounds, passes=20):
    """CPU time per request (this machine is shared: wall time counts other tenants),
    the median of `rounds` rounds of `passes` passes over the mix."""
    times = []
    for _ in range(rounds):
        started = time.process_time_ns()
        for _ in range(passes):
            function(requests)
        times.append((time.process_time_ns() - started) / (passes * len(requests)))
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("policies", nargs="?", default="policies")
    args = parser.parse_args()

    lines = routes(args.policies)
    plain = sorted({scope for _, _, kind, scope in lines if kind == "plain"})
    granting = {}
    for method, template, kind, scope in lines:
        if kind == "plain":
            granting.setdefault((method, template), set()).add(scope)
    granting = {key: frozenset(scopes) for key, scopes in granting.items()}

    engine = scopegate.Engine(scopegate.Policy.compile([args.policies]))
    holders = [plain[:n] for n in range(5)]  # keys holding 0 to 4 scopes
    principals = [(engine.principal_for_key(scopes), frozenset(scopes)) for scopes in holders]
    principals += [(scopegate.Principal.anonymous(), frozenset())]
    for role in ("admin", "member"):
        principals.append((engine.principal_for_role(role), frozenset(plain)))
    requests = []
    for principal, scopes in principals:
        for method, template, _, _ in lines:
            path = re.sub(r"\{[^}]*\}", "42", template)
            requests.append((principal, scopes, method, path, (method, template)))
        requests.append((principal, scopes, "GET", "/api/v1/nowhere/42", ("GET", "/nowhere")))

    def engine_loop(requests):
        decide = engine.decide
        for principal, _, method, path, _ in requests:
            decide(principal, method, path).allowed

    empty = frozenset()

    def dict_loop(requests):
        get = granting.get
        for _, scopes, _, _, key in requests:
            not get(key, empty).isdisjoint(scopes)

    engine_loop(requests)  # warm up
    engine_ns = median_ns(engine_loop, requests, args.rounds)
    dict_ns = median_ns(dict_loop, requests, args.rounds)
    allowed = sum(engine.decide(p, m, path).allowed for p, _, m, path, _ in requests)
    print(f"{len(requests)} requests ({100 * allowed / len(requests):.0f}% allowed), "
          f"median of {args.rounds} rounds, libscopegate {scopegate.version()}")
    print(f"{'Engine.decide(...).allowed':32} {engine_ns:>10.0f} ns")
    print(f"{'dict lookup baseline':32} {dict_ns:>10.0f} ns")
    print(f"{'ratio':32} {engine_ns / dict_ns:>10.1f} x")


if __name__ == "__main__":
    main()
