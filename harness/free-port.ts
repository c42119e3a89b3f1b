import { createServer } from 'node:net';

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => {
      resolve(false);
    });
    server.listen({ port, host, exclusive: true }, () => {
      server.close(() => {
        resolve(true);
      });
    });
  });
}

const taken = new Set<number>();

/** A loopback port that is free now (and, when `withBus`, whose cluster bus port +10000 is free too). */
export async function freePort(host = '127.0.0.1', withBus = false): Promise<number> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 35000);
    if (taken.has(port) || (withBus && taken.has(port + 10000))) continue;
    if (!(await canListen(port, host))) continue;
    if (withBus && !(await canListen(port + 10000, host))) continue;
    taken.add(port);
    if (withBus) taken.add(port + 10000);
    return port;
  }
  throw new Error('no free loopback port found after 500 attempts');
}
