// A tiny authoritative DNS server on loopback for the interoperability tests: peers such as
// Prosody find a test domain only through DNS (RFC 6120 §3.2.1: the _xmpp-server._tcp SRV record,
// then the target's A record), and the test machine has no DNS of its own.
import { createSocket, type Socket } from 'node:dgram';

const T_A = 1;
const T_SRV = 33;

export class TestDns {
  private constructor(
    private readonly sock: Socket,
    readonly port: number,
  ) {}

  /** `servers`: domain → port of its s2s listener on 127.0.0.1. */
  static async start(servers: Map<string, number>): Promise<TestDns> {
    const sock = createSocket('udp4');
    sock.on('message', (msg, rinfo) => {
      const reply = answer(msg, servers);
      if (reply) sock.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    return new TestDns(sock, sock.address().port);
  }

  stop(): void {
    this.sock.close();
  }
}

function answer(q: Buffer, servers: Map<string, number>): Buffer | null {
  if (q.length < 12 || q.readUInt16BE(4) !== 1) return null;
  let off = 12;
  const labels: string[] = [];
  while (off < q.length && q[off]! > 0) {
    const len = q[off]!;
    labels.push(q.subarray(off + 1, off + 1 + len).toString('ascii').toLowerCase());
    off += len + 1;
  }
  off += 1;
  const qtype = q.readUInt16BE(off);
  const question = q.subarray(12, off + 4);
  const name = labels.join('.');
  const records: Buffer[] = [];
  let found = false;
  if (qtype === T_SRV && labels[0] === '_xmpp-server' && labels[1] === '_tcp') {
    const port = servers.get(labels.slice(2).join('.'));
    if (port !== undefined) {
      found = true;
      // The target is localhost: every resolver knows it without asking (Erlang's from its hosts
      // entries, unbound from its built-in zone), so only the SRV record depends on this server.
      const target = encodeName('localhost');
      const rdata = Buffer.concat([u16(0), u16(0), u16(port), target]);
      records.push(Buffer.concat([u16(0xc00c), u16(T_SRV), u16(1), u32(60), u16(rdata.length), rdata]));
    }
  } else if (servers.has(name)) {
    found = true;
    if (qtype === T_A) records.push(Buffer.concat([u16(0xc00c), u16(T_A), u16(1), u32(60), u16(4), Buffer.from([127, 0, 0, 1])]));
  }
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.readUInt16BE(0), 0);
  // QR, AA, RD copied, RA; NXDOMAIN for names we do not know.
  header.writeUInt16BE(0x8400 | (q.readUInt16BE(2) & 0x0100) | 0x0080 | (found ? 0 : 3), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(records.length, 6);
  return Buffer.concat([header, question, ...records]);
}

function encodeName(name: string): Buffer {
  return Buffer.concat([...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])), Buffer.from([0])]);
}
const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
