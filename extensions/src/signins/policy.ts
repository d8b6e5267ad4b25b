// The sign-in settings in force for one account: its own choice, else the server's default.
import type { SignInSettings } from '@parley/store';

export const MULTI_LOGIN = ['allow', 'alert', 'refuse', 'replace'] as const;
export type MultiLogin = (typeof MULTI_LOGIN)[number];

export const isMultiLogin = (v: string): v is MultiLogin => (MULTI_LOGIN as readonly string[]).includes(v);

export interface ServerDefaults {
  multiLogin: MultiLogin;
  idleTimeoutSec: number;
}

export interface Policy {
  multiLogin: MultiLogin;
  /** 0: sessions are never closed for idleness. */
  idleTimeoutSec: number;
}

export function effectivePolicy(own: SignInSettings, defaults: ServerDefaults): Policy {
  return { multiLogin: own.multiLogin ?? defaults.multiLogin, idleTimeoutSec: own.idleTimeoutSec ?? defaults.idleTimeoutSec };
}
