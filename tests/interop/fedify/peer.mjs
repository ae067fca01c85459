// A federating peer built on the Fedify library (not on Burrow's code), for
// trying Burrow against an independent ActivityPub implementation.
//
//   node peer.mjs <burrow actor URL> <port>
//
// It serves the actor `fred` on http://127.0.0.1:<port>, follows the Burrow
// actor, waits for the signed Accept, then waits for a Create from Burrow
// and answers it with a Like and a reply that mentions the author.
import { serve } from "@hono/node-server";
import { createFederation, generateCryptoKeyPair, MemoryKvStore } from "@fedify/fedify";
import { Accept, Create, Endpoints, Follow, Like, Mention, Note, Person } from "@fedify/vocab";

const [target, port] = [process.argv[2], Number(process.argv[3] ?? 8090)];
const base = `http://127.0.0.1:${port}`;
const keys = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
const federation = createFederation({ kv: new MemoryKvStore(), allowPrivateAddress: true });
const seen = { accept: false, create: null };

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== "fred") return null;
    const pairs = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fred from Fedify",
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKey: pairs[0].cryptographicKey,
    });
  })
  .setKeyPairsDispatcher(async () => [keys]);

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Accept, async (_ctx, accept) => {
    console.log(`received a signed Accept from ${accept.actorId?.href}`);
    seen.accept = true;
  })
  .on(Create, async (_ctx, create) => {
    const note = await create.getObject();
    console.log(`received a Create of ${note?.id?.href}: ${note?.content}`);
    seen.create = note;
  });

serve({ fetch: (req) => federation.fetch(req, { contextData: undefined }), port });
const ctx = federation.createContext(new URL(base), undefined);
const wait = async (what, cond, seconds = 60) => {
  for (let i = 0; i < seconds * 10; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log(`FAILED: timed out waiting for ${what}`);
  process.exit(1);
};

const burrow = await ctx.lookupObject(target);
if (!burrow) {
  console.log(`FAILED: could not fetch ${target}`);
  process.exit(1);
}
console.log(`fetched ${burrow.id.href} (${burrow.name})`);
const me = ctx.getActorUri("fred");
await ctx.sendActivity({ identifier: "fred" }, burrow,
  new Follow({ id: new URL(`${base}/follows/1`), actor: me, object: burrow.id }));
console.log("sent Follow");
await wait("the Accept", () => seen.accept);
console.log("READY: waiting for a post");
await wait("a Create", () => seen.create !== null, 120);
const note = seen.create;
await ctx.sendActivity({ identifier: "fred" }, burrow,
  new Like({ id: new URL(`${base}/likes/1`), actor: me, object: note.id }));
console.log("sent Like");
const reply = new Note({
  id: new URL(`${base}/notes/1`),
  attribution: me,
  to: burrow.id,
  replyTarget: note.id,
  content: `<p>@${burrow.preferredUsername} a reply from Fedify</p>`,
  tags: [new Mention({ href: burrow.id, name: `@${burrow.preferredUsername}` })],
});
await ctx.sendActivity({ identifier: "fred" }, burrow,
  new Create({ id: new URL(`${base}/notes/1/activity`), actor: me, to: burrow.id, object: reply }));
console.log("sent reply; DONE");
setTimeout(() => process.exit(0), 1500);
