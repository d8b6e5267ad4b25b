export { type AccountConfig, addUser, bulkAdd, checkPassword, deleteUser, listUsers, setPassword, UserError, usernameOf } from './accounts.ts';
export { type AuditAction, type AuditEntry, type AuditLog, auditLog } from './audit.ts';
export { ACTOR_SERVICES, announceAdmin, type ClusterSnapshot, type ClusterView, clusterView } from './cluster-view.ts';
export type { AdminContext, AdminModule, LoginLocks } from './context.ts';
export { type FastTokenView, listFastTokens, revokeFastTokens } from './fast-tokens.ts';
export { MATRIX, PERMISSIONS, type Permission, ROLES, type Role } from './roles.ts';
export { type AdminDeps, type AdminService, buildAdminService } from './service.ts';
export { type TokenInfo, TokenInputError, type TokenRepo, tokenRepo } from './tokens.ts';
export { createInvitation, type InvitationView, type IssuedInvitation, listInvitations, parseTtl, revokeInvitation } from './invitations.ts';
