#!/usr/bin/env bash
# Builds the container image the way users get it (Dockerfile: FROM scratch,
# a static musl binary, non-root) with Debian's podman (no registry pull:
# scratch needs none), then runs it on the demo fixtures: the findings must
# come out (exit 1), as `docker run -v $PWD:/repo keyhound scan /repo` does.
#
# Where the container runtime cannot start a container (crun's setrlimit is
# refused inside some sandboxes), the binary is copied out of the image
# (`podman create` + `podman cp`, which start nothing) and run on the same
# fixtures, so the image's own contents are still what is tested; the
# script says which it did.
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-unknown-linux-musl
if ! command -v podman >/dev/null; then
    { apt-get update -qq && apt-get install -y -qq podman; } >/dev/null
fi
if ! command -v musl-gcc >/dev/null; then
    { apt-get update -qq && apt-get install -y -qq musl-tools; } >/dev/null
fi
rustup target add "$target" >/dev/null
cargo build --release --locked --target "$target"
bin="target/$target/release/keyhound"
if ldd "$bin" 2>&1 | grep -q '=>'; then
    echo "$bin is not static:" >&2; ldd "$bin" >&2; exit 1
fi
podman build -q -t localhost/keyhound:ci . >/dev/null
[ "$(podman image inspect localhost/keyhound:ci --format '{{.Config.User}}')" = 65534:65534 ] \
    || { echo "the image must run as non-root" >&2; exit 1; }
demo="$(pwd)/fixtures/demo"
status=0
out=$(podman run --rm -v "$demo:/repo:ro" localhost/keyhound:ci scan /repo --format json 2>/tmp/keyhound-image.err) || status=$?
if [ "$status" != 1 ] && grep -q 'setrlimit' /tmp/keyhound-image.err; then
    echo "== podman cannot start containers here ($(head -c 200 /tmp/keyhound-image.err)); running the image's binary directly" >&2
    id=$(podman create localhost/keyhound:ci)
    tmp=$(mktemp -d)
    podman cp "$id:/usr/local/bin/keyhound" "$tmp/keyhound"
    podman rm "$id" >/dev/null
    status=0
    out=$("$tmp/keyhound" scan "$demo" --format json) || status=$?
    rm -rf "$tmp"
fi
[ "$status" = 1 ] || { echo "the image's scan of the demo fixtures exited $status" >&2; cat /tmp/keyhound-image.err >&2; exit 1; }
echo "$out" | grep -q '"rule": "tencent.secret-id"' || { echo "no Tencent finding from the image" >&2; exit 1; }
echo "image localhost/keyhound:ci: $(du -h "$bin" | cut -f1) static binary, scan of the demo fixtures exits 1 with findings"
