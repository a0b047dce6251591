// An OpenID provider for the tests: the certified npm package oidc-provider,
// configured from a JSON file (argv[2]) that the Go test writes:
//   { "port", "issuer", "module": path of oidc-provider's entry point,
//     "jwks": {keys: [private JWKs]}, "clients": [client metadata],
//     "accounts": {id: {password, claims}}, "acrValues": [...],
//     "conform": the scope's claims at the userinfo endpoint, not in the ID token,
//     "redirectPrefix": when set, any redirect URI that begins with it is accepted }
// The login page is a plain form (login, password, acr) so that a test can
// log in with a cookie jar; posting it logs in with the chosen acr and
// grants the scopes and claims asked for. It prints "listening" when ready.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

const conf = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { default: Provider } = await import(pathToFileURL(conf.module).href);

const provider = new Provider(conf.issuer, {
  clients: conf.clients,
  jwks: conf.jwks,
  acrValues: conf.acrValues,
  // conform: the profile claims only at the userinfo endpoint (Core §5.4).
  conformIdTokenClaims: Boolean(conf.conform),
  cookies: { keys: ['test-cookie-key-0123456789abcdef'] },
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    profile: ['family_name', 'given_name', 'birthdate', 'gender', 'birthplace', 'eidas_id', 'preferred_username'],
    email: ['email', 'email_verified'],
    // The staff's groups, which the operator's console maps to roles.
    groups: ['groups'],
  },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    const acct = conf.accounts[id];
    if (!acct) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...acct.claims }; } };
  },
});
provider.proxy = false;
if (conf.redirectPrefix) {
  // Nodes whose ports are known only once they run: accept their callbacks
  // by prefix instead of registering each.
  provider.Client.prototype.redirectUriAllowed = function (uri) { return uri.startsWith(conf.redirectPrefix); };
}
const callback = provider.callback();

function esc(s) { return String(s).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`); }

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'GET') {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(`<!DOCTYPE html><form method="post" action="/interaction/${esc(uid)}">
<input name="login"><input name="password" type="password"><input name="acr" value="${esc(conf.acrValues[0])}">
<button type="submit">Log in</button></form>`);
    return;
  }
  let body = '';
  for await (const chunk of req) body += chunk;
  const form = new URLSearchParams(body);
  const acct = conf.accounts[form.get('login')];
  if (!acct || acct.password !== form.get('password')) {
    res.statusCode = 403;
    res.end('wrong login or password');
    return;
  }
  const accountId = form.get('login');
  const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  grant.addOIDCClaims(['family_name', 'given_name', 'birthdate', 'gender', 'birthplace', 'eidas_id',
    'preferred_username', 'email', 'email_verified', 'groups']);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, {
    login: { accountId, acr: form.get('acr') },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
}

const server = createServer((req, res) => {
  const m = /^\/interaction\/([^/?]+)/.exec(req.url);
  if (!m) return callback(req, res);
  interaction(req, res, m[1]).catch((err) => {
    res.statusCode = 500;
    res.end(String(err));
  });
});
server.listen(conf.port, '127.0.0.1', () => console.log('listening'));
