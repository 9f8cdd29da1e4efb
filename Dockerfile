# syntax=docker/dockerfile:1
# The otelcol-rds image for those who build with Docker (`make image` builds the same image without
# a container engine; tools/rdsimage). Multi-architecture with buildx:
#   docker buildx build --platform linux/amd64,linux/arm64 -t otelcol-rds:0.1.0 .
# The collector is compiled on the build machine's platform for the target's (static, CGO off).
FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
ARG TARGETOS=linux
ARG TARGETARCH
WORKDIR /src
COPY . .
# ocb writes the distribution's sources into _build; go build compiles them as ocb does.
RUN go tool -modfile=tools/go.mod builder --config=builder-config.yaml --skip-compilation && \
    cd _build && CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags='-s -w' -o /out/usr/bin/otelcol-rds .
RUN mkdir -p /out/etc/otelcol-rds /out/etc/ssl/certs /out/var/lib/otelcol-rds /out/tmp && \
    cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ && \
    cp packaging/config.yaml /out/etc/otelcol-rds/config.yaml && \
    printf 'root:x:0:0:root:/root:/sbin/nologin\notelcol-rds:x:10001:10001:otelcol-rds:/var/lib/otelcol-rds:/sbin/nologin\n' >/out/etc/passwd && \
    printf 'root:x:0:\notelcol-rds:x:10001:\n' >/out/etc/group && \
    chown 10001:10001 /out/var/lib/otelcol-rds && chmod 0750 /out/var/lib/otelcol-rds && chmod 1777 /out/tmp

FROM scratch
COPY --from=build /out/ /
LABEL org.opencontainers.image.title="otelcol-rds" \
      org.opencontainers.image.description="OpenTelemetry Collector distribution for AWS RDS (awsrds receiver)" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/otelcol-rds/awsrdsreceiver"
ENV PATH=/usr/bin:/bin \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    OTELCOL_RDS_PROMETHEUS_ENDPOINT=0.0.0.0:9464 \
    OTELCOL_RDS_HEALTH_ENDPOINT=0.0.0.0:13133 \
    STATE_DIRECTORY=/var/lib/otelcol-rds
USER 10001:10001
WORKDIR /var/lib/otelcol-rds
VOLUME ["/var/lib/otelcol-rds"]
EXPOSE 9464 13133
ENTRYPOINT ["/usr/bin/otelcol-rds"]
CMD ["--config=/etc/otelcol-rds/config.yaml"]
