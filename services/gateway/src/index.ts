export { buildApp, type GatewayApp } from './app.js';
export { createDeps, type GatewayDeps } from './deps.js';
export { loadGatewayConfig, type GatewayConfig } from './config.js';
