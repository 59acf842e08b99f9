# edgelm in a container: `docker build -t edgelm:latest .` (the image README's Kubernetes example runs).
#
# Stage 1 builds the one statically linked binary with `make static` on Debian 12 (scripts/deps.sh
# installs the packages and static archives it needs); stage 2 ships exactly that binary,
# build-static/edgelm-linux-ARCH (x86_64 here, aarch64 on an arm64 builder), as /usr/local/bin/edgelm
# on debian:12-slim: the binary needs nothing from the image, but `sh -c "edgelm ..."` (the Kubernetes
# example, Slurm-style wrappers) needs a shell, which scratch and distroless images lack.
FROM debian:12 AS build
WORKDIR /src
COPY . .
RUN sh scripts/deps.sh static \
 && make static \
 && install -D -m 755 "build-static/edgelm-linux-$(uname -m)" /out/edgelm \
 && /out/edgelm --version

FROM debian:12-slim
COPY --from=build /out/edgelm /usr/local/bin/edgelm
WORKDIR /data
ENTRYPOINT ["edgelm"]
CMD ["--help"]
