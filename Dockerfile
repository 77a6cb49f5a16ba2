# keyhound in a container: one static binary on an empty image, run as an
# unprivileged user. Nothing is pulled from a registry (FROM scratch) and
# nothing is compiled inside: build the static binary first, then the image.
#
#   rustup target add x86_64-unknown-linux-musl   # and: apt-get install musl-tools
#   cargo build --release --locked --target x86_64-unknown-linux-musl
#   podman build -t keyhound .                    # or: docker build / buildah bud
#   podman run --rm -v "$PWD:/repo" keyhound scan /repo
#
# A git history scan of a mounted repository works as it is (libgit2 is
# linked in); `scan --repos` with remote URLs runs `git clone`, which this
# image does not have. TLS roots for --verify are compiled in. `respond` and
# `disable --yes` need `--journal FILE` on a mounted, writable path.
FROM scratch
ARG TARGET=x86_64-unknown-linux-musl
COPY target/${TARGET}/release/keyhound /usr/local/bin/keyhound
# nobody:nogroup; a mounted tree only needs to be readable by it.
USER 65534:65534
WORKDIR /repo
ENTRYPOINT ["/usr/local/bin/keyhound"]
CMD ["scan", "/repo"]
