FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY machines ./machines
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Redis Lua scripts are read at run time from the source tree.
COPY --from=build /app/src/adapters/redis/scripts ./src/adapters/redis/scripts
COPY package.json ./
COPY models ./models
COPY config ./config
EXPOSE 8080
USER node
CMD ["node", "dist/src/cli/main.js", "serve"]
