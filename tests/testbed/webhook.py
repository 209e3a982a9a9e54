#!/usr/bin/env python3
"""A mutating admission webhook that rewrites kubedrill's probe pods, as a learner could.

Used by tests/testbed.rs (`a_rewritten_probe_pod_is_tampering_not_a_pass`): kube-apiserver
calls it over HTTPS (clientConfig.url + caBundle) for every Pod created in the namespaces the
MutatingWebhookConfiguration selects. Pods annotated `kubedrill.dev/probe` are rewritten
according to the request path; every other pod is allowed unchanged.

  /image  the probe container's image becomes registry.example/fake:1
  /args   the probe container's args become ["netexec", "--http-port=8080"]

Usage: webhook.py CERT KEY LOG
Listens on 127.0.0.1 on a port the kernel picks and prints it on the first line of stdout.
Appends one line per request to LOG: `<path> <namespace>/<name> patched|allowed`.
Stops when stdin closes (the test holds it open) or on SIGTERM.
"""
import base64
import json
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PATCHES = {
    "/image": [{"op": "replace", "path": "/spec/containers/0/image", "value": "registry.example/fake:1"}],
    "/args": [{"op": "replace", "path": "/spec/containers/0/args", "value": ["netexec", "--http-port=8080"]}],
}


def review_response(path, review):
    request = review.get("request") or {}
    pod = request.get("object") or {}
    meta = pod.get("metadata") or {}
    probe = "kubedrill.dev/probe" in (meta.get("annotations") or {})
    path = path.split("?")[0]  # kube-apiserver adds ?timeout=<timeoutSeconds>s
    patch = PATCHES.get(path) if probe else None
    response = {"uid": request.get("uid", ""), "allowed": True}
    if patch:
        response["patchType"] = "JSONPatch"
        response["patch"] = base64.b64encode(json.dumps(patch).encode()).decode()
    name = meta.get("name") or meta.get("generateName") or "?"
    line = f"{path} {request.get('namespace', '')}/{name} {'patched' if patch else 'allowed'}"
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}, line


def main():
    cert, key, log = sys.argv[1:4]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            try:
                review = json.loads(self.rfile.read(length) or b"{}")
                body, line = review_response(self.path, review)
            except (ValueError, AttributeError) as e:
                self.send_error(400, str(e))
                return
            with open(log, "a", encoding="utf-8") as f:
                f.write(line + "\n")
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
