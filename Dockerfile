# gitcert's container image. Two stages: the build stage compiles src/ with
# tsc (npm run build → dist/) and installs production dependencies only; the
# runtime stage is Node 24 on Debian slim with git and ssh (simple-git runs
# the git CLI), running as a non-root user with nothing writable but the
# volumes the pod mounts (/work, /tmp).
#
#   docker build -t ghcr.io/gitcert/gitcert:0.1.0 .
#
# The base is pinned to the Node release package.json pins (24.21.0); pin
# the digest too when you publish (node:24.21.0-bookworm-slim@sha256:…).
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the `node` devDependency would download a second Node.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
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
