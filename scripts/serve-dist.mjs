#!/usr/bin/env node
// Serves the web build (`trunk build --release` writes dist/) on 127.0.0.1 with gzip, as a web
// server or a static host would: the first visit then transfers about 4 MB instead of about
// 8 MB uncompressed (`python3 -m http.server -d dist` does not compress). No dependencies.
//   node scripts/serve-dist.mjs [DIST] [PORT]      # defaults: dist 8080
// WebGPU needs a secure context: open http://127.0.0.1:PORT (or localhost), not a LAN address.
// The browser test imports serveDist from here.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const mime = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml', '.json': 'application/json', '.css': 'text/css' };

/// A server for the folder `dist` on 127.0.0.1:`port` (0: any free port); `onSent(path, bytes)`
/// hears the bytes sent per request, after compression.
export function serveDist(dist, port = 0, onSent = () => {}) {
  const root = path.resolve(dist);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    let file = path.join(root, decodeURIComponent(url.pathname));
    if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    fs.readFile(file, (err, data) => {
      if (err) { res.writeHead(404).end(); return; }
      const headers = { 'content-type': mime[path.extname(file)] ?? 'application/octet-stream' };
      if (/gzip/.test(req.headers['accept-encoding'] ?? '')) {
        data = zlib.gzipSync(data, { level: 9 });
        headers['content-encoding'] = 'gzip';
      }
      onSent(url.pathname, data.length);
      res.writeHead(200, headers);
      res.end(data);
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dist = 'dist', port = '8080'] = process.argv.slice(2);
  const server = await serveDist(dist, Number(port));
  console.log(`serving ${dist} (gzip) at http://127.0.0.1:${server.address().port}/`);
}
