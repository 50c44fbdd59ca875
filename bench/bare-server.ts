/**
 * The ceiling for the slot search: a bare node:http server answering every request with the bytes
 * and headers the provider sent for the same search.
 *   node --import tsx bench/bare-server.ts <body file> '<headers JSON>'
 * Prints `{"origin":"http://127.0.0.1:PORT","roots":{}}` once listening.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const body = readFileSync(process.argv[2]);
const headers: Record<string, string> = {
  ...JSON.parse(process.argv[3] ?? '{}'),
  'content-length': String(body.length),
};
const server = createServer((_req, res) => {
  res.writeHead(200, headers);
  res.end(body);
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ origin: `http://127.0.0.1:${port}`, roots: {} })}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
