#!/usr/bin/env bash
# tests/cli/download_data.sh — `cpose download` against real HTTP servers on 127.0.0.1: nginx (its
# own prefix and config in a temp folder, a free port; Range support) for resume, 404 and checksum
# mismatch; a small python3 http.server handler for 500-then-200, a connection cut mid-file and a
# stalled transfer; and a dataset YAML whose download: zip is fetched and extracted; an existing
# file failing its sha256 is fetched again; .part write and final rename failures are named.
set -u
CPOSE=${CPOSE_BIN:?CPOSE_BIN is not set}
NGINX=$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null || true)
PY=$(command -v python3 || true)
if [ -z "$NGINX" ] || [ -z "$PY" ]; then
  echo "SKIP: nginx and python3 are needed for the download test"
  exit 77
fi

T=$(mktemp -d /tmp/cpose-dl-XXXXXX)
chmod 755 "$T"
NGINX_PID=""
PY_PID=""
cleanup() {
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
  [ -n "$PY_PID" ] && kill "$PY_PID" 2>/dev/null && wait "$PY_PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
expect() { if eval "$1"; then ok; else bad "$2"; fi; }

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# --- content --------------------------------------------------------------------------------
mkdir -p "$T/www" "$T/logs" "$T/tmp" "$T/out"
"$PY" -c 'import os,sys; open(sys.argv[1],"wb").write(bytes((i*7+3)%251 for i in range(300000)))' "$T/www/data.bin"
SHA=$(sha256sum "$T/www/data.bin" | cut -d" " -f1)
SIZE=$(stat -c %s "$T/www/data.bin")
"$PY" - "$T/www/ds.zip" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("toyset/images/val/a.txt", "not an image, but a file in the val folder")
    z.writestr("toyset/labels/val/a.txt", "")
EOF
chmod -R a+rX "$T"

# --- nginx ----------------------------------------------------------------------------------
NPORT=$(free_port)
USER_LINE=""
[ "$(id -u)" = 0 ] && USER_LINE="user root;"
cat > "$T/nginx.conf" <<EOF
$USER_LINE
daemon off;
worker_processes 1;
pid $T/nginx.pid;
error_log $T/logs/error.log;
events { worker_connections 64; }
http {
  log_format st '\$request_uri \$status \$http_range';
  access_log $T/logs/access.log st;
  client_body_temp_path $T/tmp/body;
  proxy_temp_path $T/tmp/proxy;
  fastcgi_temp_path $T/tmp/fastcgi;
  uwsgi_temp_path $T/tmp/uwsgi;
  scgi_temp_path $T/tmp/scgi;
  server {
    listen 127.0.0.1:$NPORT;
    root $T/www;
  }
}
EOF
"$NGINX" -p "$T" -c "$T/nginx.conf" >"$T/logs/nginx.out" 2>&1 &
NGINX_PID=$!

# --- python: /flaky (500, 500, then 200), /cut (half the body, then Range), /slow (stalls) ----
PPORT=$(free_port)
cat > "$T/server.py" <<'EOF'
import http.server, socketserver, sys, threading, time
data = open(sys.argv[2], "rb").read()
hits = {"flaky": 0, "cut": 0}
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def send_body(self, code, body, extra=()):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra: self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        rng = self.headers.get("Range")
        start = int(rng.split("=")[1].split("-")[0]) if rng else 0
        if self.path == "/flaky":
            hits["flaky"] += 1
            if hits["flaky"] <= 2: return self.send_body(500, b"")
            return self.send_body(200, data)
        if self.path == "/cut":
            hits["cut"] += 1
            if start == 0:
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            return self.send_body(206, data[start:], [("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))])
        if self.path == "/norange":
            return self.send_body(200, data)  # ignores Range
        if self.path == "/slow":
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:1]); self.wfile.flush()
            time.sleep(8)
            return
        self.send_body(404, b"")
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    def handle_error(self, request, client_address): pass  # cut/stalled clients are expected
S(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
"$PY" "$T/server.py" "$PPORT" "$T/www/data.bin" &
PY_PID=$!

# wait for both servers
for i in $(seq 1 50); do
  if "$PY" -c "import socket,sys; [socket.create_connection(('127.0.0.1',p),0.2).close() for p in ($NPORT,$PPORT)]" 2>/dev/null; then break; fi
  sleep 0.1
done

export CPOSE_DOWNLOAD_BACKOFF=0.05
N="http://127.0.0.1:$NPORT"
P="http://127.0.0.1:$PPORT"

# 1. plain download with sha256 and size
"$CPOSE" download url="$N/data.bin" dir="$T/out" sha256="$SHA" size="$SIZE" >"$T/o1" 2>&1
expect '[ "$(sha256sum "$T/out/data.bin" | cut -d" " -f1)" = "$SHA" ]' "plain download content"
expect '[ ! -e "$T/out/data.bin.part" ]' "no .part after a complete download"

# 2. resume: a .part with the first 100000 bytes → Range request (206), same content
mkdir -p "$T/out2"
head -c 100000 "$T/www/data.bin" >"$T/out2/data.bin.part"
"$CPOSE" download url="$N/data.bin" dir="$T/out2" sha256="$SHA" >"$T/o2" 2>&1
expect '[ "$(sha256sum "$T/out2/data.bin" | cut -d" " -f1)" = "$SHA" ]' "resumed download content"
expect 'grep -q "^/data.bin 206 bytes=100000-" "$T/logs/access.log"' "nginx saw a Range request answered 206"

# 3. 404: clear error, no file
"$CPOSE" download url="$N/missing.bin" dir="$T/out3" >"$T/o3" 2>&1
rc=$?
expect '[ $rc -ne 0 ]' "404 must fail"
expect 'grep -q "missing.bin failed: HTTP 404" "$T/o3"' "404 message: $(cat "$T/o3")"
expect '[ ! -e "$T/out3/missing.bin" ] && [ ! -e "$T/out3/missing.bin.part" ]' "404 leaves no file"

# 4. checksum mismatch: both values in the message, file not kept
"$CPOSE" download url="$N/data.bin" dir="$T/out4" sha256=0000000000000000000000000000000000000000000000000000000000000000 >"$T/o4" 2>&1
rc=$?
expect '[ $rc -ne 0 ]' "sha256 mismatch must fail"
expect 'grep -q "sha256 mismatch: expected 0000000000000000000000000000000000000000000000000000000000000000, got $SHA" "$T/o4"' "mismatch message: $(cat "$T/o4")"
expect '[ ! -e "$T/out4/data.bin" ] && [ ! -e "$T/out4/data.bin.part" ]' "mismatch leaves no file"

# 5. 500, 500, then 200: succeeds after two retries
"$CPOSE" download url="$P/flaky" dir="$T/out5" file=flaky.bin sha256="$SHA" retries=3 >"$T/o5" 2>&1
expect '[ "$(sha256sum "$T/out5/flaky.bin" 2>/dev/null | cut -d" " -f1)" = "$SHA" ]' "500-then-200 content: $(cat "$T/o5")"
expect '[ "$(grep -c "HTTP 500; retry" "$T/o5")" = 2 ]' "two retries logged"

# 6. connection cut mid-file: retried with Range from the cut, complete and correct
"$CPOSE" download url="$P/cut" dir="$T/out6" file=cut.bin sha256="$SHA" size="$SIZE" >"$T/o6" 2>&1
expect '[ "$(sha256sum "$T/out6/cut.bin" 2>/dev/null | cut -d" " -f1)" = "$SHA" ]' "cut-then-resume content: $(cat "$T/o6")"
expect 'grep -q "retry 1/3" "$T/o6"' "the cut was retried"

# 6b. a server that ignores Range: the .part is discarded and the download starts over
mkdir -p "$T/out6b"
head -c 5000 "$T/www/data.bin" >"$T/out6b/nr.bin.part"
"$CPOSE" download url="$P/norange" dir="$T/out6b" file=nr.bin sha256="$SHA" >"$T/o6b" 2>&1
expect '[ "$(sha256sum "$T/out6b/nr.bin" 2>/dev/null | cut -d" " -f1)" = "$SHA" ]' "no-range restart content: $(cat "$T/o6b")"
expect 'grep -q "cannot resume at byte 5000" "$T/o6b"' "no-range restart logged"

# 7. a stalled transfer hits the low-speed timeout; the partial data stays for a resume
start=$(date +%s)
"$CPOSE" download url="$P/slow" dir="$T/out7" file=slow.bin timeout=1 retries=0 >"$T/o7" 2>&1
rc=$?
end=$(date +%s)
expect '[ $rc -ne 0 ]' "stall must fail"
expect 'grep -qi "timeout\|timed out" "$T/o7"' "stall message: $(cat "$T/o7")"
expect '[ $((end - start)) -le 5 ]' "low-speed timeout took $((end - start)) s"
expect '[ -s "$T/out7/slow.bin.part" ] && [ ! -e "$T/out7/slow.bin" ]' "stalled data kept only as .part"

# 8. dataset YAML download: the zip is fetched and extracted beside the dataset root, then deleted
mkdir -p "$T/ds"
cat >"$T/ds/toy.yaml" <<EOF
path: $T/ds/toyset
train: images/val
val: images/val
names: [thing]
download: $N/ds.zip
EOF
"$CPOSE" download data="$T/ds/toy.yaml" >"$T/o8" 2>&1
expect '[ -f "$T/ds/toyset/images/val/a.txt" ]' "dataset zip extracted: $(cat "$T/o8")"
expect '[ ! -e "$T/ds/ds.zip" ]' "dataset zip deleted after extraction"

# 9. an existing file that fails its sha256: warned about, downloaded again, correct afterwards
mkdir -p "$T/out9"
echo "not the data" >"$T/out9/data.bin"
"$CPOSE" download url="$N/data.bin" dir="$T/out9" sha256="$SHA" >"$T/o9" 2>&1
rc=$?
expect '[ $rc -eq 0 ] && [ "$(sha256sum "$T/out9/data.bin" | cut -d" " -f1)" = "$SHA" ]' "re-download after a checksum failure: $(cat "$T/o9")"
expect 'grep -q "fails its check (sha256 mismatch: expected $SHA, got .*): downloading again" "$T/o9"' "re-download warning: $(cat "$T/o9")"
# an existing file that passes: kept, not fetched again
n_before=$(grep -c "^/data.bin " "$T/logs/access.log")
"$CPOSE" download url="$N/data.bin" dir="$T/out9" sha256="$SHA" >"$T/o9b" 2>&1
expect 'grep -q "already present" "$T/o9b" && [ "$(grep -c "^/data.bin " "$T/logs/access.log")" = "$n_before" ]' "a verified file is not fetched again"

# 10. the .part cannot be written (a folder has its name): a clear error naming it, exit 1
mkdir -p "$T/out10/data.bin.part"
"$CPOSE" download url="$N/data.bin" dir="$T/out10" >"$T/o10" 2>&1
rc=$?
expect '[ $rc -ne 0 ] && grep -q "cannot write .*out10/data.bin.part" "$T/o10"' "write failure: $(cat "$T/o10")"
expect '[ ! -e "$T/out10/data.bin" ]' "write failure: no final file"

# 11. the final name is taken by a non-empty folder: the rename fails, named, and nothing replaces it
mkdir -p "$T/out11/data.bin/keep"
"$CPOSE" download url="$N/data.bin" dir="$T/out11" >"$T/o11" 2>&1
rc=$?
expect '[ $rc -ne 0 ] && grep -q "cannot rename .*out11/data.bin.part. to .*out11/data.bin" "$T/o11"' "rename failure: $(cat "$T/o11")"
expect '[ -d "$T/out11/data.bin/keep" ]' "rename failure: the folder is untouched"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
