# syntax=docker/dockerfile:1
# mysql-grpc-gateway image: `docker build -t mysql-grpc-gateway .` (docker-compose.yml builds it).
# Configuration: mount a file and point GATEWAY_CONFIG (or `--config FILE`) at it; every key can
# also be set through its GATEWAY_* environment variable.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Manifests first, so that the dependency layer is reused while only sources change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY proto ./proto
COPY src ./src
# The descriptor set server reflection serves (dist/src/wire/descriptor-set.binpb), built by buf.
COPY buf.yaml ./
COPY scripts/build-descriptors.sh ./scripts/
# tsconfig also includes test/ and bench/; they are not copied, so only dist/src is built.
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
# Listen on all interfaces: inside a container, 127.0.0.1 (the gateway's default) is unreachable.
ENV NODE_ENV=production \
    GATEWAY_HOST=0.0.0.0 \
    GATEWAY_ADMIN_HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# Same layout as the repository: the server finds proto/ next to dist/.
COPY proto ./proto
COPY --from=build /app/dist/src ./dist/src
# Files stay root-owned and read-only for the process; `node` (uid 1000) comes with the image.
USER node
# 50051: gRPC. 9464: admin HTTP (/healthz, metrics).
EXPOSE 50051 9464
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.GATEWAY_ADMIN_PORT || 9464) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/src/main.js"]
