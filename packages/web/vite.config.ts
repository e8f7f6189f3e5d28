import { defineConfig } from 'vite';

// Workspace packages resolve to their TypeScript source (STYLE.md rule 5), so the UI
// builds without building @chat/client first.
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  resolve: { conditions: ['@chat/source', 'module', 'browser', 'development|production'] },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, target: 'es2022' },
  server: {
    // `pnpm --filter @chat/web dev` against a running `npm start` cluster.
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/files': 'http://127.0.0.1:8080',
      '/socket.io': { target: 'ws://127.0.0.1:8080', ws: true },
    },
  },
});
