# syntax=docker/dockerfile:1
# Build a static binary, then ship it alone on distroless as a non-root user.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ecsconsole ./cmd/ecsconsole

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ecsconsole /ecsconsole
USER nonroot:nonroot
EXPOSE 8080
ENV ECSCONSOLE_ADDR=0.0.0.0:8080 \
    ECSCONSOLE_LOG_FORMAT=json
ENTRYPOINT ["/ecsconsole"]
CMD ["serve", "--migrate"]
