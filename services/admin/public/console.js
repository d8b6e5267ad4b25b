// Parley admin console: a thin client of the admin REST API (/api/openapi.json describes it).
// The token lives in sessionStorage only; every value from the server is set as text, never as HTML.
const $ = (sel) => document.querySelector(sel);
let token = sessionStorage.getItem('parley-admin-token');
let permissions = new Set();
let selected = null; // the JID shown in the user detail panel
let pollTimer = null;

function status(text, isError = false) {
  const el = $('#status');
  el.textContent = text;
  el.classList.toggle('error', isError);
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json().catch(() => ({}));
  if (res.status === 401 && method === 'GET' && path === '/api/whoami') throw new Error(data.message || 'sign-in failed');
  if (res.status === 401) signOut('the token is no longer valid; sign in again');
  if (!res.ok) throw new Error(data.message || `${res.status} ${res.statusText}`);
  return data;
}

function cell(tr, text) {
  const td = document.createElement('td');
  td.textContent = text;
  tr.append(td);
  return td;
}

function fill(table, rows, render) {
  const body = table.querySelector('tbody');
  body.replaceChildren();
  for (const r of rows) {
    const tr = document.createElement('tr');
    render(tr, r);
    body.append(tr);
  }
}

const when = (iso) => new Date(iso).toLocaleString();

function applyPermissions() {
  for (const el of document.querySelectorAll('[data-needs]')) el.hidden = !permissions.has(el.dataset.needs);
}

async function signIn(t) {
  token = t;
  const me = await api('GET', '/api/whoami');
  sessionStorage.setItem('parley-admin-token', t);
  permissions = new Set(me.permissions);
  $('#who').textContent = `${me.name} (${me.role})`;
  $('#who').hidden = false;
  $('#sign-out').hidden = false;
  $('#sign-in').hidden = true;
  $('#app').hidden = false;
  applyPermissions();
  showTab('users');
  status(`signed in as ${me.name}`);
}

function signOut(message) {
  token = null;
  sessionStorage.removeItem('parley-admin-token');
  clearInterval(pollTimer);
  $('#app').hidden = true;
  $('#who').hidden = true;
  $('#sign-out').hidden = true;
  $('#sign-in').hidden = false;
  status(message || 'signed out', Boolean(message));
}

function showTab(name) {
  for (const b of document.querySelectorAll('nav button')) b.setAttribute('aria-pressed', String(b.dataset.tab === name));
  for (const s of document.querySelectorAll('.tab')) s.hidden = s.id !== `tab-${name}`;
  clearInterval(pollTimer);
  const load = { users: findUsers, sessions: loadSessions, cluster: loadCluster, audit: loadAudit }[name];
  run(load);
  // Live figures: the cluster view is polled while it is shown.
  if (name === 'cluster') pollTimer = setInterval(() => run(loadCluster), 2000);
}

async function run(fn) {
  try {
    await fn();
  } catch (err) {
    status(err.message, true);
  }
}

async function findUsers() {
  const q = $('#user-query').value.trim();
  const data = await api('GET', `/api/users?limit=100${q ? `&q=${encodeURIComponent(q)}` : ''}`);
  fill($('#users'), data.users, (tr, u) => {
    const open = document.createElement('button');
    open.className = 'link';
    open.type = 'button';
    open.textContent = u.jid;
    open.addEventListener('click', () => run(() => showUser(u.jid)));
    tr.append(document.createElement('td'));
    tr.firstChild.append(open);
    cell(tr, when(u.createdAt));
    cell(tr, u.locked ? 'locked' : 'active');
  });
  status(`${data.users.length} user(s)${data.next ? ' (more: refine the search)' : ''}`);
}

async function showUser(jid) {
  selected = jid;
  const [u, h] = await Promise.all([api('GET', `/api/users/${encodeURIComponent(jid)}`), api('GET', `/api/users/${encodeURIComponent(jid)}/logins`)]);
  $('#user-detail').hidden = false;
  $('#detail-jid').textContent = u.jid;
  $('#detail-state').textContent = `${u.locked ? 'Locked' : 'Active'} · ${u.sessions.length} session(s) online · created ${when(u.createdAt)}`;
  $('#lock').disabled = u.locked;
  $('#unlock').disabled = !u.locked;
  fill($('#logins'), h.logins, (tr, l) => {
    cell(tr, when(l.at));
    cell(tr, l.ip);
    cell(tr, l.resource || '');
    cell(tr, l.mechanism);
    cell(tr, l.success ? 'signed in' : 'failed');
  });
}

async function userAction(method, suffix, body, done) {
  const jid = selected;
  await api(method, `/api/users/${encodeURIComponent(jid)}${suffix}`, body);
  if (method === 'DELETE') {
    $('#user-detail').hidden = true;
    selected = null;
  } else await showUser(jid);
  await findUsers().catch(() => {});
  status(`${jid}: ${done}`);
}

async function loadSessions() {
  const user = $('#session-user').value.trim();
  const data = await api('GET', `/api/sessions?limit=500${user ? `&user=${encodeURIComponent(user)}` : ''}`);
  fill($('#sessions'), data.sessions, (tr, s) => {
    cell(tr, s.jid);
    cell(tr, s.edge);
    cell(tr, s.available ? 'yes' : 'no');
    cell(tr, s.sm ? 'on' : 'off');
    const td = cell(tr, '');
    if (permissions.has('sessions.kick')) {
      const kick = document.createElement('button');
      kick.type = 'button';
      kick.className = 'danger';
      kick.textContent = 'Kick';
      kick.setAttribute('aria-label', `Kick ${s.jid}`);
      kick.addEventListener('click', () =>
        run(async () => {
          const reason = $('#kick-reason').value.trim();
          const r = await api('POST', '/api/sessions/kick', { jid: s.jid, ...(reason ? { reason } : {}) });
          await loadSessions();
          status(`kicked ${r.kicked.join(', ')}`);
        }),
      );
      td.append(kick);
    }
  });
  if (!$('#status').classList.contains('error')) status(`${data.sessions.length} session(s)`);
}

async function loadCluster() {
  const c = await api('GET', '/api/cluster');
  $('#fig-accounts').textContent = c.accounts;
  $('#fig-online').textContent = c.online;
  $('#fig-processes').textContent = c.processes.length;
  $('#fig-unowned').textContent = Object.values(c.unownedShards).reduce((a, b) => a + b, 0);
  $('#cluster-mode').textContent = `${c.mode} mode · domain ${c.domain} · ${c.shardCount} shards per actor service · updated ${new Date(c.at).toLocaleTimeString()}`;
  fill($('#processes'), c.processes, (tr, p) => {
    cell(tr, p.id);
    cell(tr, p.roles.join(', '));
    cell(tr, p.shards.session ?? '');
    cell(tr, p.shards.presence ?? '');
    cell(tr, p.shards.chatroom ?? '');
    cell(tr, p.connections ?? '');
  });
  fill($('#edges'), c.edges, (tr, e) => {
    cell(tr, e.id);
    cell(tr, e.connections);
    cell(tr, e.live ? 'live' : 'missing');
  });
}

async function loadAudit() {
  const data = await api('GET', '/api/audit?limit=200');
  fill($('#audit'), data.entries, (tr, e) => {
    cell(tr, when(e.at));
    cell(tr, e.actor);
    cell(tr, e.action);
    cell(tr, e.target);
    cell(tr, e.detail ? JSON.stringify(e.detail) : '');
  });
}

function onSubmit(sel, fn) {
  $(sel).addEventListener('submit', (ev) => {
    ev.preventDefault();
    run(fn);
  });
}

document.addEventListener('DOMContentLoaded', () => {
  onSubmit('#sign-in', () => signIn($('#token').value.trim()).then(() => ($('#token').value = '')));
  $('#sign-out').addEventListener('click', () => signOut());
  for (const b of document.querySelectorAll('nav button')) b.addEventListener('click', () => showTab(b.dataset.tab));
  onSubmit('#user-search', findUsers);
  onSubmit('#session-filter', loadSessions);
  onSubmit('#create-user', async () => {
    const r = await api('POST', '/api/users', { username: $('#new-username').value.trim(), password: $('#new-user-password').value });
    $('#new-username').value = '';
    $('#new-user-password').value = '';
    await findUsers();
    status(`created ${r.jid}`);
  });
  onSubmit('#reset-password', async () => {
    await userAction('PUT', '/password', { password: $('#new-password').value }, 'password reset');
    $('#new-password').value = '';
  });
  $('#lock').addEventListener('click', () => run(() => userAction('POST', '/lock', {}, 'locked; its sessions were closed')));
  $('#unlock').addEventListener('click', () => run(() => userAction('POST', '/unlock', {}, 'unlocked')));
  $('#delete').addEventListener('click', () => {
    if (confirm(`Delete ${selected} with its roster, offline messages and history?`)) run(() => userAction('DELETE', '', undefined, 'deleted'));
  });
  if (token) run(() => signIn(token)).catch(() => signOut());
});
