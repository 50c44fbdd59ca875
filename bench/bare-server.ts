/**
 * The ceiling: a bare node:http server answering every request with the same bytes and headers the
 * provider sent. `node bench/bare-server.ts <body file> '<headers JSON>'`; prints its origin.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const body = readFileSync(process.argv[2]);
const headers = { ...JSON.parse(process.argv[3] ?? '{}'), 'content-length': String(body.length) };
const server = createServer((_req, res) => {
  res.writeHead(200, headers);
  res.end(body);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ origin: `http://127.0.0.1:${address.port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
