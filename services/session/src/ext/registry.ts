import { carbonsDisable, carbonsEnable } from './carbons.ts';
import { discoInfo, discoItems } from './disco.ts';
import { ping } from './ping.ts';
import { type IqExtension, type IqScope, iqKey } from './types.ts';
import { version } from './version.ts';

export class IqRegistry {
  private readonly handlers = new Map<string, IqExtension>();
  private readonly featureSets: Record<IqScope, Set<string>> = { server: new Set(), account: new Set() };

  constructor(extensions: IqExtension[], extraFeatures: Partial<Record<IqScope, string[]>> = {}) {
    for (const ext of extensions) {
      for (const scope of ext.scope) {
        const key = iqKey(scope, ext.type, ext.xmlns, ext.name);
        if (this.handlers.has(key)) throw new Error(`two handlers for ${key}`);
        this.handlers.set(key, ext);
        for (const f of ext.features) this.featureSets[scope].add(f);
      }
    }
    for (const [scope, list] of Object.entries(extraFeatures) as [IqScope, string[]][]) for (const f of list) this.featureSets[scope].add(f);
  }

  find(scope: IqScope, type: string, xmlns: string | undefined, name: string): IqExtension | undefined {
    return this.handlers.get(iqKey(scope, type, xmlns ?? '', name));
  }

  features(scope: IqScope): string[] {
    return [...this.featureSets[scope]];
  }
}

/** The IQ extensions every Parley session service serves. */
export function defaultExtensions(serverVersion: string): IqExtension[] {
  return [ping, discoInfo, discoItems, version('Parley', serverVersion), carbonsEnable, carbonsDisable];
}
