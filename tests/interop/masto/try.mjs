// Logs in to a Burrow server with masto.js as an app would, then pages the
// home timeline with masto's paginator and watches the user stream. Usage:
//   node try.mjs http://127.0.0.1:PORT PASSWORD
import { createRestAPIClient, createOAuthAPIClient } from "masto";

const [base, password] = process.argv.slice(2);
const redirectUri = "urn:ietf:wg:oauth:2.0:oob";
const anon = createRestAPIClient({ url: base });
const app = await anon.v1.apps.create({
  clientName: "masto.js trial",
  redirectUris: redirectUri,
  scopes: "read write follow push",
});
console.log("app", app.name, app.clientId ? "has client_id" : "NO client_id");

// The person's part: open the authorize page, type the password, approve.
const authorizeUrl = `${base}/oauth/authorize?response_type=code&client_id=${encodeURIComponent(app.clientId)}&redirect_uri=${encodeURIComponent(redirectUri)}&scope=read+write+follow+push`;
const page = await (await fetch(authorizeUrl)).text();
const form = new URLSearchParams();
for (const m of page.matchAll(/<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) {
  form.set(m[1], m[2].replaceAll("&amp;", "&").replaceAll("&quot;", '"').replaceAll("&#x27;", "'").replaceAll("&#39;", "'"));
}
form.set("password", password);
form.set("approve", "1");
const action = page.match(/<form[^>]*action="([^"]+)"/)[1].replaceAll("&amp;", "&");
const approved = await fetch(new URL(action, authorizeUrl), { method: "POST", body: form, redirect: "manual" });
const shown = await approved.text();

const code = (shown.match(/id="code"[^>]*value="([^"]+)"/) || [])[1];
console.log("authorize page answered", approved.status, code ? "with a code" : "WITHOUT a code");

const oauth = createOAuthAPIClient({ url: base });
const token = await oauth.token.create({
  grantType: "authorization_code",
  clientId: app.clientId,
  clientSecret: app.clientSecret,
  redirectUri,
  code,
  scope: "read write follow push",
});
console.log("token type", token.tokenType, "scope", token.scope);

const masto = createRestAPIClient({ url: base, accessToken: token.accessToken });
const me = await masto.v1.accounts.verifyCredentials();
console.log("logged in as", me.acct, "statuses", me.statusesCount);
const posted = await masto.v1.statuses.create({ status: "posted from masto.js", visibility: "public" });
console.log("posted", posted.id, posted.url);

let pages = 0, seen = 0, ids = new Set();
for await (const page of masto.v1.timelines.home.list({ limit: 7 })) {
  pages += 1;
  for (const s of page) ids.add(s.id);
  seen += page.length;
  if (pages > 50) break;
}
console.log(`home: ${pages} pages, ${seen} statuses, ${ids.size} distinct`);
const inst = await masto.v2.instance.fetch();
console.log("instance v2", inst.domain, inst.version, "streaming", inst.configuration.urls.streaming);
const notes = await masto.v1.notifications.list({ limit: 5 });
console.log("notifications", notes.length);

import { createStreamingAPIClient } from "masto";
const streaming = createStreamingAPIClient({
  streamingApiUrl: inst.configuration.urls.streaming,
  accessToken: token.accessToken,
});
const sub = streaming.user.subscribe();
setTimeout(() => masto.v1.statuses.create({ status: "streamed to masto.js" }), 2000);
for await (const event of sub) {
  console.log("stream event", event.event, event.payload?.content);
  if (event.event === "update") break;
}
sub.unsubscribe();
streaming.close();
