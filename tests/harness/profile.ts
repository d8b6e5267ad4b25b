// Profile commands of the slixmpp driver (tests/clients/slix_ext_profile.py), typed for the tests.
import type { SlixClient } from './slix.ts';

export interface CommandReply {
  status: string;
  sessionid: string;
  notes: string[];
  fields: Record<string, string[]>;
  actions: string[];
}

export const slixProfile = (c: SlixClient) => ({
  vcardSet: (v: { fn: string; nickname?: string; photo?: string; note?: string }) => c.command({ cmd: 'vcard_set', ...v }),
  vcardGet: async (to?: string) => (await c.command({ cmd: 'vcard_get', to })) as unknown as { fn: string; nickname: string[]; photo: string },
  privateStore: (text: string) => c.command({ cmd: 'private_store', text }),
  privateGet: async () => ((await c.command({ cmd: 'private_get' })) as unknown as { text: string }).text,
  sendUpdatePresence: (hash: string) => c.command({ cmd: 'send_update_presence', hash }),
  commands: async (to?: string) => ((await c.command({ cmd: 'commands_list', to })) as unknown as { items: Array<{ jid: string; node: string; name: string }> }).items,
  command: async (node: string, o: { action?: string; sessionid?: string; values?: Record<string, string> } = {}) =>
    (await c.command({ cmd: 'command_exec', node, ...o })) as unknown as CommandReply,
  searchFields: async () => (await c.command({ cmd: 'search_fields' })) as unknown as { fields: string[]; instructions: string },
  search: async (values: Record<string, string>) => (await c.command({ cmd: 'search', values })) as unknown as { items: Array<Record<string, string>>; reported: string[] },
  upload: async (filename: string, data: Buffer, type: string) =>
    (await c.command({ cmd: 'upload', filename, data: data.toString('base64'), type })) as unknown as { url: string; service: string; max: number },
  uploadSlot: async (filename: string, size: number, type: string) =>
    (await c.command({ cmd: 'upload_slot', filename, size, type })) as unknown as { put: string; get: string; headers: Record<string, string> },
});
