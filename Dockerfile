# syntax=docker/dockerfile:1
# borderflow in production: one static binary (templates, static files and
# time zones embedded) on a distroless image, running as a non-root user.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t borderflow .

FROM golang:1.26-bookworm AS build
WORKDIR /src
# Modules first, so that a change to the code alone reuses this layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# The version `borderflow version` prints; "dev" when not given.
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
        -o /out/borderflow ./cmd/borderflow
# distroless has no shell to mkdir or chown with: make the data directory here,
# owned by distroless's nonroot user (65532).
RUN mkdir -p /out/data && chown 65532:65532 /out/data

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
LABEL org.opencontainers.image.title="borderflow" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /out/borderflow /borderflow
COPY --from=build --chown=65532:65532 /out/data /data
ENV BORDERFLOW_ADDR=:8080 \
    BORDERFLOW_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
USER nonroot:nonroot
# The image has no shell or curl: borderflow itself asks its /readyz (at the
# port of BORDERFLOW_ADDR), which fails while the database is unreachable.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/borderflow", "healthcheck"]
ENTRYPOINT ["/borderflow"]
CMD ["serve"]
