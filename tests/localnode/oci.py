#!/usr/bin/env python3
"""Writes an OCI image archive (oci-layout, one layer) that `ctr images import` loads.

Usage: oci.py OUT.tar NAME:TAG ROOTFS_DIR [--entrypoint JSON] [--cmd JSON] [--label K=V]...

The layer is ROOTFS_DIR as a tar, files in sorted order with zeroed times and owners kept, so
the same input gives the same digest. Used for the local node's images: nothing is pulled.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile


def layer_tar(rootfs: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for parent, dirs, files in os.walk(rootfs):
            dirs.sort()
            for name in sorted(dirs + files):
                path = os.path.join(parent, name)
                info = tar.gettarinfo(path, os.path.relpath(path, rootfs))
                info.mtime = 0
                if info.isfile():
                    with open(path, "rb") as f:
                        tar.addfile(info, f)
                else:
                    tar.addfile(info)
    return buf.getvalue()


def blob(out: tarfile.TarFile, data: bytes) -> dict:
    digest = hashlib.sha256(data).hexdigest()
    info = tarfile.TarInfo(f"blobs/sha256/{digest}")
    info.size = len(data)
    out.addfile(info, io.BytesIO(data))
    return {"digest": f"sha256:{digest}", "size": len(data)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("name")
    parser.add_argument("rootfs")
    parser.add_argument("--entrypoint", default="null")
    parser.add_argument("--cmd", default="null")
    parser.add_argument("--label", action="append", default=[])
    args = parser.parse_args()

    raw = layer_tar(args.rootfs)
    diff_id = "sha256:" + hashlib.sha256(raw).hexdigest()
    compressed = gzip.compress(raw, mtime=0)
    labels = dict(label.split("=", 1) for label in args.label)
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "Entrypoint": json.loads(args.entrypoint),
            "Cmd": json.loads(args.cmd),
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "Labels": labels,
        },
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }
    tmp = args.out + ".partial"
    with tarfile.open(tmp, "w") as out:
        layout = json.dumps({"imageLayoutVersion": "1.0.0"}).encode()
        info = tarfile.TarInfo("oci-layout")
        info.size = len(layout)
        out.addfile(info, io.BytesIO(layout))
        layer = blob(out, compressed)
        conf = blob(out, json.dumps(config, sort_keys=True).encode())
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **conf},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **layer}],
        }
        man = blob(out, json.dumps(manifest, sort_keys=True).encode())
        index = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    **man,
                    "annotations": {"io.containerd.image.name": args.name,
                                    "org.opencontainers.image.ref.name": args.name.rsplit(":", 1)[-1]},
                }
            ],
        }
        data = json.dumps(index, sort_keys=True).encode()
        info = tarfile.TarInfo("index.json")
        info.size = len(data)
        out.addfile(info, io.BytesIO(data))
    os.replace(tmp, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
