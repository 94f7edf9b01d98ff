/**
 * A plain static file server, like GitHub Pages: serves a folder under a sub-path with the right MIME
 * types (application/wasm included) and no special headers (no COOP/COEP, no CSP header). For the
 * specs that check the production build as it is deployed.
 */
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, relative, resolve, sep } from 'node:path';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.md': 'text/markdown; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticServer {
  /** e.g. http://127.0.0.1:40123/qonnx-studio/ */
  url: string;
  /** every request path the server saw, in order */
  requests: string[];
  close(): Promise<void>;
}

export interface StaticServerOptions {
  /**
   * Files served instead of what `root` holds (or in addition to it), by path under the prefix (e.g.
   * 'index.html'): a string, or a function of the file's text on disk. For test instrumentation only.
   */
  overrides?: Record<string, string | ((onDisk: string) => string)>;
}

/** Serve `root` under `prefix` (e.g. '/qonnx-studio/') on a free port of 127.0.0.1. */
export async function startStaticServer(root: string, prefix: string, options: StaticServerOptions = {}): Promise<StaticServer> {
  const base = resolve(root); // no trailing separator
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    // Like GitHub Pages: the folder without its slash redirects to the folder.
    if (path === prefix.slice(0, -1)) {
      res.writeHead(301, { Location: prefix }).end();
      return;
    }
    if (!path.startsWith(prefix)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    let file = normalize(join(base, path.slice(prefix.length)));
    if (file !== base && !file.startsWith(base + sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const overrideOf = (f: string) => options.overrides?.[relative(base, f).split(sep).join('/')];
      if (overrideOf(file) === undefined && statSync(file).isDirectory()) file = join(file, 'index.html');
      const override = overrideOf(file);
      if (override !== undefined) {
        const body = Buffer.from(typeof override === 'string' ? override : override(readFileSync(file, 'utf8')));
        res.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream', 'Content-Length': body.length, 'Cache-Control': 'no-cache' });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      const st = statSync(file);
      res.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream', 'Content-Length': st.size, 'Cache-Control': 'max-age=600' });
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    requests,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
