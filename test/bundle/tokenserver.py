#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""tokenserver.py PORT TLS_CERT TLS_KEY SIGN_CERT SIGN_KEY ISSUER USER:PASS LOG

A token server for Debian's docker-registry (distribution's `auth: token`),
on https://127.0.0.1:PORT/token, for test/push.bats: the Bearer side of
the OCI distribution API that qpod speaks (bundle/http.c).

GET /token?service=S&scope=repository:NAME:ACTIONS... with HTTP Basic
USER:PASS answers {"token": JWT, "access_token": JWT, "expires_in": 300}:
every action asked for, for repository scopes; anything else is 401. The
JWT is RS256 (signed by openssl with SIGN_KEY) and carries SIGN_CERT in
its x5c header; the registry checks that certificate against its
rootcertbundle (the test's CA), iss against ISSUER and aud against S.
Each answer appends one line to LOG: "200 SCOPE..." or "401".
"""
import base64
import json
import os
import ssl
import subprocess
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def main():
    port, tls_cert, tls_key, sign_cert, sign_key, issuer, userpass, log = sys.argv[1:9]
    der = subprocess.run(["openssl", "x509", "-in", sign_cert, "-outform", "DER"],
                         capture_output=True, check=True).stdout
    want = "Basic " + base64.b64encode(userpass.encode()).decode()

    def token(service, scopes):
        access = []
        for s in scopes:
            kind, _, rest = s.partition(":")
            name, _, actions = rest.rpartition(":")
            if kind == "repository" and name:
                access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        head = {"alg": "RS256", "typ": "JWT", "x5c": [base64.b64encode(der).decode()]}
        claims = {"iss": issuer, "sub": userpass.split(":")[0], "aud": service, "exp": now + 300,
                  "nbf": now - 10, "iat": now, "jti": b64url(os.urandom(12)), "access": access}
        signing = b64url(json.dumps(head).encode()) + "." + b64url(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", sign_key], input=signing.encode(),
                             capture_output=True, check=True).stdout
        return signing + "." + b64url(sig)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def answer(self, code, body):
            with open(log, "a") as f:
                f.write(f"{code} {body.get('_scopes', '')}".rstrip() + "\n")
            data = json.dumps({k: v for k, v in body.items() if not k.startswith("_")}).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            q = urllib.parse.parse_qs(url.query)
            if url.path != "/token" or self.headers.get("Authorization") != want:
                return self.answer(401, {"errors": [{"code": "UNAUTHORIZED"}]})
            scopes = q.get("scope", [])
            t = token(q.get("service", [""])[0], scopes)
            self.answer(200, {"token": t, "access_token": t, "expires_in": 300, "_scopes": " ".join(scopes)})

    srv = HTTPServer(("127.0.0.1", int(port)), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tls_cert, tls_key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
