# syntax=docker/dockerfile:1
# Audio Pollinations: CUDA image. Build: docker build -t audio-pollinations .
# Run:   docker run --gpus all -p 8000:8000 -v $PWD/models:/app/models -v $PWD/voices:/app/voices audio-pollinations
#        (on a machine without a GPU add -e DEVICES=cpu: the image asks for cuda:0 and refuses to fall back silently)

ARG NODE_MAJOR=20

# --- build: compile TypeScript with dev dependencies ------------------------------------------------------------
FROM node:${NODE_MAJOR}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
COPY plugins ./plugins
COPY scripts ./scripts
RUN npm run build

# --- runtime dependencies, with onnxruntime-node's CUDA 12 provider -----------------------------------------------
FROM node:${NODE_MAJOR}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Here (unlike a developer machine) the network is available and the CUDA build is wanted.
RUN npm ci --omit=dev --no-audit --no-fund --onnxruntime-node-install=cuda12 \
 && npm cache clean --force

# --- runtime: CUDA runtime + cuDNN, Node from the official image, non-root -------------------------------------------
FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu22.04 AS runtime
COPY --from=build /usr/local/bin/node /usr/local/bin/node
RUN groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app --home-dir /app app
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root package.json ./
# Weights and cloned voices are the only things the server writes (it keeps no temp files).
RUN mkdir -p /app/models /app/voices && chown app:app /app/models /app/voices && chmod 0750 /app/models && chmod 0700 /app/voices
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8000 MODELS_DIR=/app/models VOICES_DIR=/app/voices DEVICES=cuda:0
USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/main.js"]
