/**
 * A TCP proxy between a server process and its database, for fault tests: it passes bytes
 * through, and on demand cuts every open connection, refuses new ones (the port stops
 * listening: ECONNREFUSED), or swallows them (accepts and never answers: a network black hole).
 */
import net from 'node:net';

export type ProxyMode = 'pass' | 'refuse' | 'blackhole';

export interface TcpProxy {
  readonly port: number;
  readonly mode: ProxyMode;
  /** Connections accepted so far, and open now. */
  readonly accepted: number;
  readonly open: number;
  /** Resets every open connection (both sides), whatever the mode. */
  cutAll(): void;
  /** Switches mode; `refuse` and `blackhole` also cut the open connections. */
  setMode(mode: ProxyMode): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let mode: ProxyMode = 'pass';
  let accepted = 0;

  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
  };
  const onConnection = (client: net.Socket): void => {
    accepted += 1;
    track(client);
    if (mode !== 'pass') return; // black hole: accepted, never answered
    const upstream = net.connect(target.port, target.host);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  };

  let server = net.createServer(onConnection);
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  const port = await listen(0);
  const cutAll = (): void => {
    for (const s of sockets) s.resetAndDestroy();
  };
  const stopListening = () =>
    new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));

  return {
    port,
    get mode() {
      return mode;
    },
    get accepted() {
      return accepted;
    },
    get open() {
      return sockets.size;
    },
    cutAll,
    async setMode(next: ProxyMode) {
      if (next !== 'pass') cutAll();
      if (next === 'refuse' && server.listening) {
        const closing = stopListening();
        cutAll();
        await closing;
      } else if (next !== 'refuse' && !server.listening) {
        server = net.createServer(onConnection);
        await listen(port);
      }
      mode = next;
    },
    async close() {
      cutAll();
      await stopListening();
    },
  };
}
