#!/usr/bin/env bash
# Starts two fresh Burrow servers on free loopback ports and drives the
# both with Mastodon.py (a real client library), logged in to each as its
# owner: the first follows the second, and they talk across the two.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${CARGO_TARGET_DIR:-target}/debug/burrow"
[ -x "$bin" ] || cargo build --quiet
python3 -c "import mastodon" 2>/dev/null || pip install --quiet mastodon.py
python3 -c "import http_ece" 2>/dev/null || pip install --quiet http_ece
work=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pa=$(free_port); pb=$(free_port)
pw='interop password'
echo "$pw" | "$bin" init --data-dir "$work/a" --public-url "http://127.0.0.1:$pa" --listen "127.0.0.1:$pa" --username alice --password-stdin >/dev/null
echo "$pw" | "$bin" init --data-dir "$work/b" --public-url "http://127.0.0.1:$pb" --listen "127.0.0.1:$pb" --username bob --password-stdin >/dev/null
"$bin" serve --data-dir "$work/a" --allow-private-network 2>"$work/a.log" & a=$!
"$bin" serve --data-dir "$work/b" --allow-private-network 2>"$work/b.log" & b=$!
trap 'kill $a $b 2>/dev/null; wait $a $b 2>/dev/null; rm -rf "$work"' EXIT
for port in $pa $pb; do
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/.well-known/nodeinfo" >/dev/null && break; sleep 0.1; done
done
# What a phone app asks at launch; it also schedules a post, published after the restart below.
python3 tests/interop/app_launch.py launch "http://127.0.0.1:$pa" "$pw" "$work/launch.json"
python3 tests/interop/mastodon_py.py "http://127.0.0.1:$pa" "$pw" "bob@127.0.0.1:$pb" "http://127.0.0.1:$pb"
python3 tests/interop/push_policy.py "http://127.0.0.1:$pa" "$pw" "http://127.0.0.1:$pb" "alice@127.0.0.1:$pa"
# The first server restarts; the post scheduled before is published once, on time.
kill -TERM $a; wait $a || true
"$bin" serve --data-dir "$work/a" --allow-private-network 2>>"$work/a.log" & a=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$pa/.well-known/nodeinfo" >/dev/null && break; sleep 0.1; done
python3 tests/interop/app_launch.py after-restart "http://127.0.0.1:$pa" "$work/launch.json"
