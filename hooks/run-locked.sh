#!/usr/bin/env sh
# The pre-commit framework's entry for the `keyhound` and `keyhound-pre-push`
# hooks: builds keyhound from the hook repository's checkout with its lock
# file (`cargo install --locked`, which the framework's `language: rust`
# cannot pass), once per checked-out revision, then runs it with the
# hook's arguments. A build that fails fails the hook: it never passes
# unscanned.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
root="$here/target/pre-commit"
if [ ! -x "$root/bin/keyhound" ]; then
    echo "keyhound: building from $here with its Cargo.lock (once per revision)" >&2
    (cd "$here" && cargo install --locked --bins --root "$root" --path . >&2) || {
        echo "keyhound: cargo install --locked failed; the hook cannot run" >&2
        exit 2
    }
fi
exec "$root/bin/keyhound" "$@"
