# The production worker image: `combine-papay-worker` from the built package, non-root, probes on 8081, metrics on
# 9464; the operator CLI `combine-papay-order` on PATH. Keys and certificates are mounted as files (see the README's
# "Deploy"); nothing secret is baked in.
#
#   podman build -t combine-papay-worker .        (or docker build; NODE_IMAGE picks the Node base)
#
# Behind a TLS-intercepting proxy, give its CA to the build's npm as a secret: --secret id=npm_ca,src=/path/ca.crt
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
# The workspace's client package (client/package.json) is in the lockfile: npm ci needs its manifest. The image runs
# the worker alone: the client's sources it uses are compiled into dist/client/ below, and the workspace link is removed.
COPY package.json package-lock.json ./
COPY client/package.json ./client/
RUN --mount=type=secret,id=npm_ca \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi; \
    npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
# The product's sources (what tsconfig.build.json compiles), and of tools/ only the two build steps: the build check
# and the workflow bundler (run with tsx, a dev dependency pruned below). No other tool enters the image.
COPY workflows ./workflows
COPY activities ./activities
COPY wechatpay ./wechatpay
COPY worker ./worker
COPY client ./client
COPY tools/scripts/build-if-stale.js tools/scripts/bundle-workflows.ts ./tools/scripts/
COPY bin ./bin
RUN node tools/scripts/build-if-stale.js --force --worker-only && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm node_modules/combine-papay-client

FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production \
    WORKER_HEALTH_PORT=8081 \
    WORKER_METRICS_PORT=9464
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/bin ./bin
COPY --from=build /src/dist/workflow-bundle.js ./dist/workflow-bundle.js
COPY --from=build /src/dist/client ./dist/client
COPY --from=build /src/dist/workflows ./dist/workflows
COPY --from=build /src/dist/activities ./dist/activities
COPY --from=build /src/dist/wechatpay ./dist/wechatpay
COPY --from=build /src/dist/worker ./dist/worker
# The package's bins on PATH, as `npm install` links them: `combine-papay-order status <no>` (the operator's order
# CLI, with the container's TEMPORAL_* environment) and `combine-papay-worker preflight` run in the image as they are.
RUN ln -s /app/bin/combine-papay-order.js /usr/local/bin/combine-papay-order \
 && ln -s /app/bin/combine-papay-worker.js /usr/local/bin/combine-papay-worker
USER 10001:10001
EXPOSE 8081 9464
# The worker stops polling on SIGTERM and lets running activities finish within WORKER_SHUTDOWN_GRACE (default 20 s):
# give the container longer than that (docker stop -t 30, Kubernetes terminationGracePeriodSeconds: 30).
STOPSIGNAL SIGTERM
# The memory flags given here, the bin runs the worker in this process (PID 1 receives SIGTERM itself).
CMD ["node", "--max-semi-space-size=4", "--max-old-space-size=256", "bin/combine-papay-worker.js"]
