#!/usr/bin/env python3
"""runc, minus one capability: what lets privileged pods start on this machine.

The sandbox this test bed runs in lacks CAP_SYS_RESOURCE in its bounding set, so runc fails
for any container that asks for that capability ("unable to apply caps: operation not
permitted": every privileged one, kube-proxy) or for an `oomScoreAdj` below this process's own
(the kubelet gives pod sandboxes -998: "failed to update /proc/self/oom_score_adj: Permission
denied"). containerd calls this as its runc binary (`BinaryName`). When the capability is
missing it drops CAP_SYS_RESOURCE from the bundle's config.json (`create`/`run`) or the process
file (`exec --process FILE`) and raises `oomScoreAdj` to the lowest value allowed without it,
then execs the real runc. Nothing else is changed. The real runc is $KUBEDRILL_RUNC, else
`runc` on PATH.
"""

import json
import os
import shutil
import sys

CAP = "CAP_SYS_RESOURCE"
CAP_BIT = 24


def bounding_has_cap() -> bool:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("CapBnd:"):
                return bool(int(line.split()[1], 16) >> CAP_BIT & 1)
    return True


def drop(process: dict) -> None:
    for key, caps in (process.get("capabilities") or {}).items():
        if isinstance(caps, list) and CAP in caps:
            process["capabilities"][key] = [c for c in caps if c != CAP]
    if "oomScoreAdj" in process:
        with open("/proc/self/oom_score_adj", encoding="ascii") as own:
            lowest = int(own.read().strip())
        process["oomScoreAdj"] = max(process["oomScoreAdj"], lowest)


def edit(path: str, process_only: bool) -> None:
    with open(path, encoding="utf-8") as f:
        spec = json.load(f)
    drop(spec if process_only else spec.get("process") or {})
    with open(path, "w", encoding="utf-8") as f:
        json.dump(spec, f)


def option(args: list, name: str):
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def main() -> None:
    args = sys.argv[1:]
    runc = os.environ.get("KUBEDRILL_RUNC") or shutil.which("runc") or "/usr/sbin/runc"
    if not bounding_has_cap():
        command = next((a for a in args if a in ("create", "run", "exec")), None)
        if command in ("create", "run"):
            bundle = option(args, "--bundle") or option(args, "-b") or os.getcwd()
            edit(os.path.join(bundle, "config.json"), process_only=False)
        elif command == "exec":
            process = option(args, "--process") or option(args, "-p")
            if process:
                edit(process, process_only=True)
    os.execv(runc, [runc] + args)


if __name__ == "__main__":
    main()
