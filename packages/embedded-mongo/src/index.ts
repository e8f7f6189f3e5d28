export { startEmbeddedMongo, type EmbeddedMongo, type EmbeddedMongoOptions } from './server.js';
export { DataDirError } from './persistence/data-dir-error.js';
