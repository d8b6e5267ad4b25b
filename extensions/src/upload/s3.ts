// Uploaded files in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, Garage, …). Parley stays in
// the path of every PUT and GET (docs/decisions/0019): the bucket is private and only this module,
// with its own credentials, talks to it. Requests are signed with AWS Signature Version 4 by the
// `aws4` package (no dependencies); the body's SHA-256 is signed too, so the bucket stores exactly
// the bytes that were checked.
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import aws4 from 'aws4';
import type { StoredFile, UploadStorage } from './storage.ts';

export interface S3Settings {
  /** http(s)://host[:port], the bucket's service endpoint. */
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Path-style URLs (endpoint/bucket/key) instead of virtual-hosted ones (bucket.endpoint/key). */
  pathStyle: boolean;
}

/** Slow or dead endpoints fail the request instead of holding it. */
const TIMEOUT_MS = 30_000;
/** SHA-256 of no bytes: the payload hash of a GET or DELETE. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** The URL of one object: path-style or virtual-hosted (the bucket in the host name). */
export function objectUrl(s: Pick<S3Settings, 'endpoint' | 'bucket' | 'pathStyle'>, key: string): URL {
  const base = new URL(s.endpoint);
  const prefix = base.pathname.replace(/\/+$/, '');
  const path = `/${encodeURIComponent(key)}`;
  if (s.pathStyle) return new URL(`${base.protocol}//${base.host}${prefix}/${encodeURIComponent(s.bucket)}${path}`);
  return new URL(`${base.protocol}//${s.bucket}.${base.host}${prefix}${path}`);
}

interface S3Request {
  method: 'PUT' | 'GET' | 'DELETE';
  key: string;
  headers?: Record<string, string>;
  body?: Readable;
  /** Hex SHA-256 of the body; that of no bytes without one. */
  sha256?: string;
}

/** One signed request; resolves with the response once its headers arrived. */
export function s3Request(s: S3Settings, r: S3Request): Promise<IncomingMessage> {
  const url = objectUrl(s, r.key);
  const signed = aws4.sign(
    {
      host: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      method: r.method,
      service: 's3',
      region: s.region,
      headers: { ...r.headers, 'X-Amz-Content-Sha256': r.sha256 ?? EMPTY_SHA256 },
    },
    { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
  );
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: r.method, headers: signed.headers as Record<string, string>, timeout: TIMEOUT_MS }, resolve);
    req.on('timeout', () => req.destroy(new Error(`S3 ${r.method} timed out`)));
    req.on('error', reject);
    if (r.body) {
      r.body.on('error', (err) => req.destroy(err));
      r.body.pipe(req);
    } else req.end();
  });
}

/** An S3 error response as an Error naming the status and the S3 code (never the credentials). */
async function failure(what: string, res: IncomingMessage): Promise<Error> {
  let text = '';
  for await (const chunk of res) if (text.length < 2000) text += chunk;
  const code = /<Code>([^<]{1,64})<\/Code>/.exec(text)?.[1] ?? 'no code';
  return new Error(`S3 ${what} answered ${res.statusCode} (${code})`);
}

/** Files in a bucket, staged in `staging` on local disk while they are checked. */
export function s3Storage(s: S3Settings, staging: string): UploadStorage {
  return {
    staging,
    init: async () => {
      await mkdir(staging, { recursive: true, mode: 0o700 });
    },
    async keep(id: string, staged: string, file: StoredFile) {
      const res = await s3Request(s, {
        method: 'PUT',
        key: id,
        headers: { 'Content-Type': file.contentType, 'Content-Length': String(file.size) },
        body: createReadStream(staged),
        sha256: file.sha256,
      });
      if (res.statusCode !== 200) throw await failure('PUT', res);
      res.resume();
      await rm(staged, { force: true });
    },
    async open(id: string) {
      const res = await s3Request(s, { method: 'GET', key: id });
      if (res.statusCode === 200) return res;
      if (res.statusCode === 404) {
        res.resume();
        return null;
      }
      throw await failure('GET', res);
    },
    async remove(id: string) {
      const res = await s3Request(s, { method: 'DELETE', key: id });
      // S3 answers 204 whether or not the object existed; some stand-ins answer 404 for a missing one.
      if (res.statusCode !== 204 && res.statusCode !== 200 && res.statusCode !== 404) throw await failure('DELETE', res);
      res.resume();
    },
  };
}
