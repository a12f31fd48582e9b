#!/usr/bin/env bash
# tests/cli/download_hostile.sh — `cpose download` against a hostile HTTP server on 127.0.0.1 (issue 11,
# items 6 and 9 and the download messages): a redirect loop stops at the redirect limit, a body trickling
# at 2 B/s hits the low-speed limit, an endless body stops as soon as it passes size=, a malformed
# sha256= is refused before any request, file:// in a dataset YAML is refused, and after a 500 with
# nothing received no empty .part is left or claimed.
set -u
CPOSE=${CPOSE_BIN:?CPOSE_BIN is not set}
PY=$(command -v python3 || true)
[ -n "$PY" ] || { echo "SKIP: python3 is needed for the HTTP server"; exit 77; }
T=$(mktemp -d /tmp/cpose-dlh-XXXXXX)
PY_PID=""
cleanup() { [ -n "$PY_PID" ] && kill "$PY_PID" 2>/dev/null && wait "$PY_PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
pass=0; fail=0
expect() { if eval "$1"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi; }
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$T/server.py" <<'EOF'
import http.server, socketserver, sys, time
log = open(sys.argv[2], "a", buffering=1)
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        log.write(self.path + "\n")
        if self.path == "/loop":
            self.send_response(302); self.send_header("Location", "/loop"); self.send_header("Content-Length", "0")
            self.end_headers(); return
        if self.path == "/trickle":
            self.send_response(200); self.send_header("Content-Length", "100000"); self.end_headers()
            for _ in range(60):
                self.wfile.write(b"xx"); self.wfile.flush(); time.sleep(1)
            return
        if self.path == "/endless":
            self.send_response(200); self.send_header("Transfer-Encoding", "chunked"); self.end_headers()
            chunk = b"y" * 65536
            try:
                for _ in range(100000):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except Exception:
                pass
            return
        if self.path == "/err500":
            self.send_response(500); self.send_header("Content-Length", "0"); self.end_headers(); return
        self.send_response(200); self.send_header("Content-Length", "5"); self.end_headers(); self.wfile.write(b"hello")
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    def handle_error(self, request, client_address): pass
S(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
"$PY" "$T/server.py" "$PORT" "$T/hits" &
PY_PID=$!
for i in $(seq 1 50); do
  "$PY" -c "import socket; socket.create_connection(('127.0.0.1',$PORT),0.2).close()" 2>/dev/null && break; sleep 0.1
done
U="http://127.0.0.1:$PORT"
export CPOSE_DOWNLOAD_BACKOFF=0.05

# 1. redirect loop: stops at the limit
"$CPOSE" download url="$U/loop" dir="$T/o1" retries=0 >"$T/m1" 2>&1; rc=$?
n=$(grep -c '^/loop$' "$T/hits")
expect '[ $rc -ne 0 ]' "redirect loop must fail"
expect '[ "$n" -le 12 ]' "redirect loop made $n requests"
expect 'grep -qi "redirect" "$T/m1"' "redirect message: $(cat "$T/m1")"

# 2. a 2 B/s trickle hits the low-speed limit within timeout=
start=$(date +%s)
"$CPOSE" download url="$U/trickle" dir="$T/o2" timeout=2 retries=0 >"$T/m2" 2>&1; rc=$?
took=$(( $(date +%s) - start ))
expect '[ $rc -ne 0 ]' "trickle must fail"
expect '[ $took -le 8 ]' "trickle took $took s"

# 3. an endless body with size=1000 stops at once, keeps nothing
"$CPOSE" download url="$U/endless" dir="$T/o3" size=1000 retries=0 >"$T/m3" 2>&1; rc=$?
expect '[ $rc -ne 0 ]' "endless body must fail"
expect 'grep -q "more than the expected size=1000 bytes" "$T/m3"' "size message: $(cat "$T/m3")"
expect '[ -z "$(ls -A "$T/o3" 2>/dev/null)" ]' "endless body left files: $(ls -la "$T/o3" 2>/dev/null)"

# 4. a malformed sha256= is refused before any request
before=$(wc -l < "$T/hits")
"$CPOSE" download url="$U/file.bin" dir="$T/o4" sha256=abc >"$T/m4" 2>&1; rc=$?
expect '[ $rc -ne 0 ]' "sha256=abc must fail"
expect 'grep -q "sha256=abc is not a SHA-256" "$T/m4"' "sha256 message: $(cat "$T/m4")"
expect '[ "$(wc -l < "$T/hits")" = "$before" ]' "a request was made with a malformed sha256"

# 5. file:// in a dataset YAML is refused (only http(s) there)
mkdir -p "$T/ds"
printf 'path: %s/ds/set\ntrain: images/val\nval: images/val\nnames: [a]\ndownload: file:///etc/passwd\n' "$T" >"$T/ds/d.yaml"
"$CPOSE" download data="$T/ds/d.yaml" >"$T/m5" 2>&1; rc=$?
expect '[ $rc -ne 0 ]' "file:// in a dataset YAML must fail"
expect 'grep -q "only http:// and https://" "$T/m5"' "file:// message: $(cat "$T/m5")"
expect '[ ! -e "$T/ds/passwd" ] && [ ! -e "$T/ds/set/passwd" ]' "file:// copied a local file"

# 6. a 500 with nothing received: no empty .part, and the message does not claim kept data
"$CPOSE" download url="$U/err500" dir="$T/o6" retries=1 >"$T/m6" 2>&1; rc=$?
expect '[ $rc -ne 0 ]' "500 must fail"
expect 'grep -q "nothing saved" "$T/m6"' "500 message: $(cat "$T/m6")"
expect '[ ! -e "$T/o6/err500.part" ]' "an empty .part was left"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
