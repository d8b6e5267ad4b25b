// XEP-0363 HTTP file upload, served by the server's own JID (it has the store/file identity and the
// max-file-size form in its disco#info, §2), with the HTTP side on the edge's HTTP port (http.ts).
// Loaded only when uploads are enabled (PARLEY_UPLOAD_ENABLED).
import type { ExtensionModule } from '@parley/ext';
import { xml } from '@parley/xml';
import { Counter } from 'prom-client';
import { NS_DATA } from '../adhoc/index.ts';
import { uploadRoutes } from './http.ts';
import { s3Storage } from './s3.ts';
import { NS_UPLOAD, requestSlot, type UploadSettings } from './slot.ts';
import { diskStorage } from './storage.ts';

export type { ContentRules } from './checks.ts';
export type { S3Settings } from './s3.ts';
export { NS_UPLOAD, type UploadSettings } from './slot.ts';

export function upload(settings: UploadSettings): ExtensionModule {
  // In embedded mode the edge and the actors share this instance, so a slot can name the port actually listened on.
  let port: number | undefined;
  const refusals = new Counter({
    name: 'parley_upload_refused_total',
    help: 'Upload PUTs refused by the content checks, by rule',
    labelNames: ['reason'],
    registers: settings.registry ? [settings.registry] : [],
  });
  return {
    name: 'upload',
    specs: ['XEP-0363'],
    disco: [{ on: ['server'], features: [NS_UPLOAD], identity: { category: 'store', type: 'file', name: 'HTTP File Upload' } }],
    settings: [
      'uploadEnabled',
      'uploadMaxFileBytes',
      'uploadQuotaBytes',
      'uploadExpiryHours',
      'uploadContentTypes',
      'uploadDir',
      'uploadPublicUrl',
      'uploadActiveTypes',
      'uploadScanCommand',
      'uploadScanTimeoutSec',
      'uploadStore',
      'uploadS3Endpoint',
      'uploadS3Bucket',
      'uploadS3Region',
      'uploadS3AccessKeyId',
      'uploadS3SecretAccessKey',
      'uploadS3PathStyle',
    ],
    metrics: ['parley_upload_refused_total'],
    storage: ['upload_slots'],
    session: {
      iq: [{ scope: ['server'], type: 'get', name: 'request', xmlns: NS_UPLOAD, handle: (ctx) => requestSlot(ctx, settings, port) }],
      discoNodes: {
        // §2 / XEP-0128: the largest file, in the server's disco#info.
        info: (ctx, node) =>
          node === undefined && ctx.to.local === null
            ? [
                xml(
                  'x',
                  { xmlns: NS_DATA, type: 'result' },
                  xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS_UPLOAD)),
                  xml('field', { var: 'max-file-size' }, xml('value', {}, String(settings.maxFileBytes))),
                ),
              ]
            : undefined,
      },
    },
    edge: {
      http: (app, env) =>
        uploadRoutes(app, env, settings, settings.s3 ? s3Storage(settings.s3, settings.dir) : diskStorage(settings.dir), refusals, (p) => {
          port = p;
        }),
    },
  };
}
