// The fields a user may publish in the directory, with how each is checked.
import type { DirectoryVisibility } from '@parley/store';

export interface DirectoryFieldSpec {
  var: string;
  label: string;
  /** XEP-0055 §2 legacy field names that search this one. */
  legacy: string[];
  valid(value: string): boolean;
}

const text = (max: number) => (v: string) => v.length <= max && !/[\u0000-\u001f]/.test(v);

export const DIRECTORY_FIELDS: DirectoryFieldSpec[] = [
  { var: 'name', label: 'Full name', legacy: ['first', 'last'], valid: text(128) },
  { var: 'nickname', label: 'Nickname', legacy: ['nick'], valid: text(64) },
  { var: 'email', label: 'Email', legacy: ['email'], valid: (v) => text(254)(v) && /^[^\s@]+@[^\s@]+$/.test(v) },
  { var: 'country', label: 'Country', legacy: [], valid: text(64) },
  { var: 'city', label: 'City', legacy: [], valid: text(64) },
  { var: 'birthyear', label: 'Birth year', legacy: [], valid: (v) => /^(19|20)\d\d$/.test(v) },
];

export const VISIBILITIES: DirectoryVisibility[] = ['everyone', 'contacts', 'nobody'];
export const isVisibility = (v: string | undefined): v is DirectoryVisibility => VISIBILITIES.includes(v as DirectoryVisibility);
