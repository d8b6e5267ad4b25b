// Room settings as administrators write them (`parley room create|config lobby key=value …`): the
// RoomConfig fields by name. Shared by the CLI, which checks them before anything changes, and the
// room actor, which applies them to the configuration it holds (so a concurrent owner's change is kept).
const BOOL = new Set(['persistent', 'public', 'membersOnly', 'moderated', 'allowInvites', 'changeSubject', 'archive']);
const TEXT = new Set(['name', 'description']);

/** key=value settings onto a copy of a room configuration; a string is what is wrong with them. */
export function applyRoomSettings(current: Record<string, unknown>, settings: string[]): Record<string, unknown> | string {
  const next = { ...current };
  for (const s of settings) {
    const eq = s.indexOf('=');
    if (eq < 1) return `${s}: use key=value`;
    const key = s.slice(0, eq);
    const value = s.slice(eq + 1);
    if (BOOL.has(key)) {
      if (value !== 'true' && value !== 'false') return `${key} is true or false`;
      next[key] = value === 'true';
    } else if (TEXT.has(key)) next[key] = value;
    else if (key === 'password') next.password = value === '' ? null : value;
    else if (key === 'maxUsers') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) return 'maxUsers is a positive integer';
      next.maxUsers = n;
    } else if (key === 'whois') {
      if (value !== 'moderators' && value !== 'anyone') return 'whois is moderators or anyone';
      next.whois = value;
    } else if (key === 'presenceBroadcast') {
      const roles = value === '' ? [] : value.split(',');
      if (!roles.every((r) => ['moderator', 'participant', 'visitor'].includes(r))) return 'presenceBroadcast is a comma list of moderator, participant, visitor (or empty)';
      next.presenceBroadcast = roles;
    } else if (key === 'allowPm') {
      if (!['anyone', 'participants', 'moderators', 'none'].includes(value)) return 'allowPm is anyone, participants, moderators or none';
      next.allowPm = value;
    } else return `unknown room setting ${key}`;
  }
  return next;
}
