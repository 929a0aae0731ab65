# rag-server container image: two stages on Debian 12.
#
# build:   Debian 12 + the project's own set-up script (scripts/setup.sh installs the Debian
#          packages and builds build/rag-server), then scripts/runtime-files.sh copies the
#          binary, every shared library `ldd` lists (with the dynamic loader), glibc's Unicode
#          iconv modules (poppler needs them for PDF text), the CA bundle and curl (for
#          HEALTHCHECK) into /rootfs as a root-filesystem subset.
# runtime: FROM scratch + that tree: no shell, no package manager, nothing else to patch.
#          Runs as UID 1001; logs to stdout/stderr and /app/logs; index at /app/vector_db;
#          the server's own files (feedback.sqlite) in /app/state.
#
# Build:  docker build -t rag-server .
# Run:    docker run --rm -p 8000:8000 --env-file .env -v "$PWD/vector_db:/app/vector_db:ro" rag-server
# Index:  docker run --rm -v "$PWD/docs:/docs:ro" -v "$PWD/vector_db:/app/vector_db" rag-server index /docs
# Built and checked with podman by scripts/container-check.sh, which runs the image as UID 1001
# (docs/deployment.md, "What was verified, and how"). With podman, build with --format docker:
# the default OCI format has no HEALTHCHECK field, and podman drops it.

FROM debian:12 AS build
# LANG as on the project's machines: ccache hashes it, so a shared cache (below) hits only when
# the image compiles in the same locale as the clones that filled it.
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
WORKDIR /src
# curl and ca-certificates are copied into the runtime image (HEALTHCHECK, upstream TLS).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl
COPY . .
# Compiler cache: empty by default, so a plain `docker build` compiles without ccache and leaves
# no cache in a layer. scripts/container-check.sh mounts the host's cache for the build
# (`podman build -v DIR:/ccache --build-arg CCACHE_DIR=/ccache`), so a rebuild recompiles only
# what changed. setup.sh without --test builds the rag-server target alone, no tests.
ARG CCACHE_DIR=
RUN if [ -n "$CCACHE_DIR" ]; then export CCACHE_DIR; else unset CCACHE_DIR; export CCACHE_DISABLE=1; fi \
 && bash ./scripts/setup.sh \
 && test -x build/rag-server \
 && bash ./scripts/runtime-files.sh --strip /rootfs build/rag-server \
 && mkdir -p /rootfs/app/logs /rootfs/app/state /rootfs/app/vector_db /rootfs/tmp \
 && chmod 1777 /rootfs/tmp \
 && printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nrag:x:1001:1001:rag-server:/app:/usr/sbin/nologin\n' > /rootfs/etc/passwd \
 && printf 'root:x:0:\nrag:x:1001:\n' > /rootfs/etc/group \
 && chown -R 1001:1001 /rootfs/app \
 && /rootfs/usr/local/bin/rag-server --version

FROM scratch AS runtime
COPY --from=build /rootfs/ /
# Whether COPY keeps the build stage's owners differs between builders: state it for /app.
COPY --from=build --chown=1001:1001 /rootfs/app/ /app/
ENV VECTOR_DB_PATH=/app/vector_db \
    LOG_DIR=/app/logs \
    STATE_DIR=/app/state \
    HOST=0.0.0.0 \
    PORT=8000 \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
WORKDIR /app
USER 1001:1001
EXPOSE 8000
VOLUME ["/app/logs", "/app/state"]
# GET / answers {"status": "running"} while the server accepts requests. It is rate limited
# per client IP (RATE_LIMIT_HEALTH, 60/minute): one probe every 30 s stays far below it.
# If you change PORT or serve HTTPS directly (SSL_CERTFILE), override this check (see
# docs/deployment.md).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/curl", "-fsS", "-o", "/dev/null", "--max-time", "4", "http://127.0.0.1:8000/"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/rag-server"]
CMD ["serve"]
