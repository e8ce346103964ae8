"""Container health check for the web process: GET /healthz the way the reverse proxy sends it.

Production settings reject a Host outside ALLOWED_HOSTS and redirect plain HTTP to HTTPS, so the
request names an allowed host and carries the proxy's X-Forwarded-Proto header.
Exit status 0 when the portal answers 200, 1 otherwise.
"""

import http.client
import os
import sys


def allowed_host() -> str:
    for host in os.environ.get("ALLOWED_HOSTS", "").split(","):
        host = host.strip()
        if host and host != "*":
            # ".example.org" allows example.org and its subdomains.
            return host.lstrip(".")
    return "localhost"


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/healthz", headers={"Host": allowed_host(), "X-Forwarded-Proto": "https"})
        status = conn.getresponse().status
    except OSError as exc:
        print(f"healthz: {exc}", file=sys.stderr)
        return 1
    finally:
        conn.close()
    if status != 200:
        print(f"healthz: HTTP {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
