import { createConnection } from 'node:net';

function encode(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/**
 * Sends one command over a fresh socket and returns the reply text (simple, bulk or error).
 * Deliberately independent of ioredis, so the harness can probe servers the client cannot reach yet.
 */
export function rawCommand(port: number, args: readonly string[], host = '127.0.0.1', timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host });
    let data = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`timeout talking to ${host}:${port}`));
    }, timeoutMs);
    const done = (error: Error | null, reply?: string): void => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(reply ?? '');
    };
    socket.once('error', (error) => {
      done(error);
    });
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      const text = data.toString('utf8');
      const first = text.indexOf('\r\n');
      if (first < 0) return;
      const kind = text[0];
      if (kind === '+' || kind === ':') {
        done(null, text.slice(1, first));
        return;
      }
      if (kind === '-') {
        done(new Error(text.slice(1, first)));
        return;
      }
      if (kind === '$') {
        const length = Number(text.slice(1, first));
        if (length < 0) {
          done(null, '');
          return;
        }
        const body = data.subarray(Buffer.byteLength(text.slice(0, first + 2)));
        if (body.length >= length) done(null, body.subarray(0, length).toString('utf8'));
      }
    });
    socket.write(encode(args));
  });
}
