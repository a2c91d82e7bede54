# syntax=docker/dockerfile:1
#
# The API as an image holding nothing but its binary: static, with time zones
# and CA roots compiled in. deploy/image_test.go builds that binary the same
# way (make static) and runs it in an empty root.
#
#   docker build --build-arg VERSION=v1.4.0 --build-arg COMMIT=$(git rev-parse HEAD) -t hiremebahamas .

# The Go of go.mod (deploy/image_test.go checks that they agree).
FROM golang:1.26.8 AS build
WORKDIR /src
COPY . .
ARG VERSION=dev
ARG COMMIT=
# make static sets CGO_ENABLED=0, -trimpath and the version stamps: the
# flags live in the Makefile only.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    make static BIN=/out/hiremebahamas VERSION="$VERSION" COMMIT="$COMMIT"

# No shell, no package manager, no libc: distroless's static image adds only
# /etc/passwd with its nonroot user and a writable /tmp.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/hiremebahamas /hiremebahamas
# nonroot, by number, so that Kubernetes's runAsNonRoot can verify it.
USER 65532:65532
ENV PORT=8080
EXPOSE 8080
# The binary checks itself: there is no shell or curl to do it.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 CMD ["/hiremebahamas", "probe"]
# A command, not an entrypoint: platforms that replace it (Render's
# preDeployCommand, a Kubernetes Job) then name the binary as they would
# anywhere, such as /hiremebahamas migrate.
CMD ["/hiremebahamas", "serve"]
