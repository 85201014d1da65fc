FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY . .
RUN PRISMA_SCHEMA_ENGINE_BINARY=/bin/true npx prisma generate
ENV NODE_ENV=production
EXPOSE 8080 8090
CMD ["node", "--import", "tsx", "src/main.ts"]
