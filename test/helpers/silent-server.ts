// A server that accepts TCP connections on 127.0.0.1, reads what it is sent
// and never answers: a hung web seed or HTTP mirror.
import net from 'node:net'

export interface SilentServer {
  port: number
  /** http://127.0.0.1:PORT/<path> */
  url (p: string): string
  /** connections accepted so far */
  readonly connections: number
  close (): Promise<void>
}

export async function startSilentServer (): Promise<SilentServer> {
  const sockets = new Set<net.Socket>()
  let connections = 0
  const server = net.createServer(sock => {
    connections++
    sockets.add(sock)
    sock.on('data', () => {})   // read and say nothing
    sock.on('error', () => {})
    sock.on('close', () => sockets.delete(sock))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    url: p => `http://127.0.0.1:${port}/${p}`,
    get connections () { return connections },
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
  }
}
