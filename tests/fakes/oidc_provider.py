"""FAKE OpenID Connect provider for the single sign-on test (no real identity provider is reachable here).

It speaks the real protocol that ``st.login`` (Authlib) uses: discovery document, authorization endpoint
(which signs in ``identity`` at once and redirects back with a code), token endpoint returning an RS256
identity token carrying the request's nonce, and the JWKS to verify it.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from joserfc import jwt
from joserfc.jwk import RSAKey


class FakeOIDCProvider:
    def __init__(self, identity: dict[str, Any], client_id: str = "practice-app") -> None:
        self.identity = identity
        self.client_id = client_id
        self.key = RSAKey.generate_key(2048, parameters={"kid": "fake-1"})
        self.codes: dict[str, str] = {}  # code -> nonce
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeOIDCProvider:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _id_token(self, nonce: str) -> str:
        now = int(time.time())
        claims = {"iss": self.url, "aud": self.client_id, "sub": self.identity["email"], "iat": now,
                  "exp": now + 600, "nonce": nonce, **self.identity}
        return jwt.encode({"alg": "RS256", "kid": "fake-1"}, claims, self.key)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _json(self, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path == "/.well-known/openid-configuration":
                    self._json({
                        "issuer": provider.url, "authorization_endpoint": f"{provider.url}/authorize",
                        "token_endpoint": f"{provider.url}/token", "jwks_uri": f"{provider.url}/jwks",
                        "response_types_supported": ["code"], "subject_types_supported": ["public"],
                        "id_token_signing_alg_values_supported": ["RS256"],
                        "scopes_supported": ["openid", "email", "profile"],
                    })
                elif url.path == "/jwks":
                    self._json({"keys": [provider.key.as_dict(private=False)]})
                elif url.path == "/authorize":
                    query = {k: v[0] for k, v in parse_qs(url.query).items()}
                    code = secrets.token_urlsafe(12)
                    provider.codes[code] = query.get("nonce", "")
                    back = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query.get('state', '')})}"
                    self.send_response(302)
                    self.send_header("Location", back)
                    self.end_headers()
                else:
                    self.send_error(404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if urlparse(self.path).path != "/token" or form.get("code") not in provider.codes:
                    self.send_error(400)
                    return
                nonce = provider.codes.pop(form["code"])
                self._json({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 600,
                            "id_token": provider._id_token(nonce)})

        return Handler
