# syntax=docker/dockerfile:1
# pb in a FROM scratch image: the compiled binary + the 5 glibc files it links against (+ CA certs).
#
# Build the binaries first, then the image (linux/amd64 and/or linux/arm64):
#   npm ci && npm run build:all
#   docker build -t pb .                                                 # this machine's arch
#   docker buildx build --platform linux/amd64,linux/arm64 -t you/pb .   # multi-arch
# Run:
#   docker run -p 8090:8090 -v pb_data:/pb_data pb
#
# The rootfs stage runs on the build machine ($BUILDPLATFORM) and fetches the *target's* libc6
# with `apt-get download libc6:<arch>`, so a cross-arch build needs no emulation.

FROM --platform=$BUILDPLATFORM debian:bookworm-slim AS rootfs
ARG TARGETARCH
COPY dist/pb-linux-* /dist/
RUN set -eu; \
    case "$TARGETARCH" in \
      amd64) triplet=x86_64-linux-gnu;  loader=/lib64/ld-linux-x86-64.so.2; bin=/dist/pb-linux-x64 ;; \
      arm64) triplet=aarch64-linux-gnu; loader=/lib/ld-linux-aarch64.so.1;   bin=/dist/pb-linux-arm64 ;; \
      *) echo "unsupported TARGETARCH: $TARGETARCH" >&2; exit 1 ;; \
    esac; \
    [ -f "$bin" ] || { echo "$bin not found: run 'npm run build:all' before 'docker build'" >&2; exit 1; }; \
    dpkg --add-architecture "$TARGETARCH"; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates; \
    cd /tmp && apt-get download "libc6:$TARGETARCH" && dpkg-deb -x libc6_*.deb /tmp/libc; \
    mkdir -p "/out/lib/$triplet" "/out$(dirname "$loader")" /out/etc/ssl/certs /out/pb_data; \
    for f in libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0; do \
      cp -L "/tmp/libc/lib/$triplet/$f" "/out/lib/$triplet/$f"; \
    done; \
    cp -L "/tmp/libc/lib/$triplet/$(basename "$loader")" "/out$loader"; \
    cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/; \
    cp "$bin" /out/pb && chmod 755 /out/pb; \
    rm -rf /var/lib/apt/lists/*

FROM scratch
COPY --from=rootfs /out/ /
VOLUME /pb_data
EXPOSE 8090
ENTRYPOINT ["/pb"]
CMD ["serve", "--http=0.0.0.0:8090", "--dir=/pb_data"]
