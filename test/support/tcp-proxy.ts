/**
 * A TCP forwarder on a free local port, for tests that need a real service to "go away":
 * point the client at the proxy, then close() it and every connection through it drops and
 * new ones are refused, while the real service keeps serving everyone else.
 */
import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  port: number;
  close(): Promise<void>;
}

/** `listenPort` 0 picks a free port; pass a closed proxy's port to bring it "back". */
export async function startTcpProxy(
  targetHost: string,
  targetPort: number,
  listenPort = 0,
): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  const server = createServer((client) => {
    const upstream = connect(targetPort, targetHost);
    track(client);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(listenPort, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
