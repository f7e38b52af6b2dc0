# gitcert's container image. Two stages: the build stage bundles src/ and
# its dependencies with esbuild (npm run build → dist/, see scripts/build.ts);
# the runtime stage is Node 24 on Debian slim with git and ssh (gitcert runs
# the git CLI) and that bundle, which needs no node_modules, running as a
# non-root user with nothing writable but the volumes the pod mounts
# (/work, /tmp).
#
#   docker build -t ghcr.io/gitcert/gitcert:0.1.0 .
#
# The base is pinned to the Node release package.json pins (24.21.0); pin
# the digest too when you publish (node:24.21.0-bookworm-slim@sha256:…).
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the `node` devDependency would download a second Node
# (esbuild needs no install script: its binary is a package of its own).
RUN npm ci --ignore-scripts --no-audit --no-fund
# tsconfig.json: esbuild reads it, so the image is built from what the tested build is.
COPY tsconfig.json ./
COPY scripts/build.ts ./scripts/
COPY src ./src
RUN node scripts/build.ts

FROM ${NODE_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY examples/demo ./examples/demo
# A read-only root filesystem: git and npm write under HOME, which is the
# pod's /tmp emptyDir.
ENV NODE_ENV=production HOME=/tmp
USER 65532:65532
EXPOSE 8080 8089
ENTRYPOINT ["node", "/app/bin/gitcert.js"]
CMD ["serve"]
