// A local S3-compatible store for the upload tests: s3rver (npm) on a random port, behind a check
// that every request is signed (AWS Signature V4) with the test's credentials. s3rver itself only
// checks the access key id of a V4 request, so the signature is recomputed here from what arrived
// on the wire (method, path, signed headers) and compared.
import { readdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import aws4 from 'aws4';
import S3rver from 's3rver';

export interface LocalS3 {
  /** What PARLEY_UPLOAD_S3_* would hold for it (path-style: there is no DNS for bucket host names). */
  settings: { endpoint: string; bucket: string; region: string; accessKeyId: string; secretAccessKey: string; pathStyle: boolean };
  /** Keys of the objects in the bucket, read from s3rver's directory (not through S3). */
  objects(): Promise<string[]>;
  /** Requests refused because their signature did not verify. */
  badSignatures: number;
  stop(): Promise<void>;
}

// s3rver knows one account; its key id is fixed.
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const REGION = 'eu-test-1';

function signatureValid(req: IncomingMessage): boolean {
  const auth = req.headers.authorization ?? '';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/\d{8}\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m || m[1] !== CREDENTIALS.accessKeyId || m[2] !== REGION) return false;
  const headers: Record<string, string> = {};
  for (const name of m[3]!.split(';')) headers[name] = String(req.headers[name] ?? '');
  if (!headers.host || !headers['x-amz-date'] || !headers['x-amz-content-sha256']) return false;
  const again = aws4.sign({ method: req.method, path: req.url, service: 's3', region: REGION, headers }, CREDENTIALS);
  return (again.headers as Record<string, string>).Authorization === auth;
}

export async function startLocalS3(directory: string, bucket = 'parley-files'): Promise<LocalS3> {
  const s3 = new S3rver({ directory, silent: true, configureBuckets: [{ name: bucket }] });
  await s3.configureBuckets();
  const handle = s3.callback();
  const local: LocalS3 = {
    settings: { endpoint: '', bucket, region: REGION, ...CREDENTIALS, pathStyle: true },
    badSignatures: 0,
    objects: async () => (await readdir(join(directory, bucket))).filter((f) => f.endsWith('._S3rver_object')).map((f) => f.slice(0, -'._S3rver_object'.length)),
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    if (signatureValid(req)) return handle(req, res);
    local.badSignatures++;
    res.writeHead(403, { 'content-type': 'application/xml' }).end('<Error><Code>SignatureDoesNotMatch</Code></Error>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  local.settings.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return local;
}
