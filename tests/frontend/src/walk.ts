// A frontend team's walk through the whole marketplace, written against
// the client generated from docs/openapi.json (openapi-typescript +
// openapi-fetch). CI type-checks it with tsc --noEmit under the strictest
// settings, so a change to the document that breaks a frontend breaks CI;
// `npm run walk -- http://127.0.0.1:8080` runs it against a server.
import createClient from "openapi-fetch";
import type { components, paths } from "./api.js";

type Schemas = components["schemas"];
type Problem = Schemas["Problem"];
type ErrorCode = Schemas["ErrorCode"];

/** What a screen shows for a problem: clients switch on the closed list of codes. */
export function explain(problem: Problem): string {
  const code: ErrorCode = problem.code;
  switch (code) {
    case "validation_failed":
      return (problem.errors ?? []).map((e) => `${e.field}: ${e.message}`).join("; ");
    case "unauthorized":
    case "invalid_credentials":
      return "Please sign in again.";
    case "rate_limited":
    case "quota_exceeded":
      return "Slow down and try again shortly.";
    default:
      return problem.detail;
  }
}

/** A notification's line in the inbox: each kind carries its own payload. */
export function describeNotification(n: Schemas["NotificationResponse"]): string {
  switch (n.kind) {
    case "offer.created":
      return `new offer of ${n.payload.price_cents} on "${n.payload.job_title}"`;
    case "offer.accepted":
      return `your offer became booking ${n.payload.booking_id}`;
    case "offer.countered":
      return `counter of ${n.payload.counter_price_cents} to your ${n.payload.price_cents} on "${n.payload.job_title}"`;
    case "offer.revised":
      return `offer revised to ${n.payload.price_cents} on "${n.payload.job_title}"`;
    case "offer.expired":
      return `offer ${n.payload.offer_id} on "${n.payload.job_title}" expired`;
    case "job.expired":
      return `"${n.payload.job_title}" expired with ${n.payload.provider_ids.length} open offers`;
    case "booking.updated":
      return `booking ${n.payload.booking.id} is ${n.payload.booking.status}`;
    case "message.created":
      return `message: ${n.payload.message.body}`;
    case "rating.created":
      return `rated ${n.payload.stars} stars`;
    case "booking.reminder":
      return `booking ${n.payload.booking_id} starts at ${n.payload.scheduled_for}`;
  }
}

/** A profile's fields, told apart by the union's discriminator. */
export function describeProfile(profile: Schemas["ProfileResponse"]): string {
  switch (profile.kind) {
    case "provider":
      return `${profile.name} (${profile.category ?? "no category"}, verified: ${profile.verified})`;
    case "customer":
      return `${profile.name} (${profile.address ?? "no address"})`;
  }
}

function must<T>(data: T | undefined, error: Problem | undefined, what: string): T {
  if (data === undefined) {
    throw new Error(`${what}: ${error ? explain(error) : "no body"}`);
  }
  return data;
}

function bearer(token: string): { Authorization: string } {
  return { Authorization: `Bearer ${token}` };
}

export async function walk(baseUrl: string): Promise<void> {
  const api = createClient<paths>({ baseUrl });
  const suffix = Math.random().toString(36).slice(2, 10);

  // Registration and login.
  const registered = await api.POST("/api/v1/auth/register", {
    body: { email: `ana-${suffix}@example.com`, password: "correct horse", role: "customer", name: "Ana" },
  });
  const customer = must(registered.data, registered.error, "register customer");
  const tokenType: "Bearer" = customer.token_type;
  console.log(`registered ${customer.user.id} (${tokenType}, ${customer.expires_in} s)`);

  const providerSignup = await api.POST("/api/v1/auth/register", {
    body: { email: `rui-${suffix}@example.com`, password: "correct horse", role: "provider", name: "Rui" },
  });
  const provider = must(providerSignup.data, providerSignup.error, "register provider");
  const login = await api.POST("/api/v1/auth/login", {
    body: { email: `rui-${suffix}@example.com`, password: "correct horse" },
  });
  const providerToken = must(login.data, login.error, "login").access_token;
  const customerToken = customer.access_token;

  const me = await api.GET("/api/v1/auth/me", { headers: bearer(providerToken) });
  console.log(describeProfile(must(me.data, me.error, "me").profile));

  // The catalogue of categories, then a job.
  const categories = await api.GET("/api/v1/categories");
  const category = must(categories.data, categories.error, "categories")[0]?.slug ?? "plumbing";
  const posted = await api.POST("/api/v1/jobs", {
    headers: { ...bearer(customerToken), "Idempotency-Key": `job-${suffix}` },
    body: {
      title: "Kitchen sink leaks",
      description: "Water drips from the pipe under the sink.",
      category,
      budget_cents: 12000,
      location: { address: "Rua Augusta 100, Lisboa", lat: 38.7101, lng: -9.1366 },
    },
  });
  const job = must(posted.data, posted.error, "post job");
  const budget: number | null = job.budget_cents;
  const address: string | null = job.location.address;
  console.log(`job ${job.id} ${job.status} budget ${budget ?? "open"} at ${address ?? "(hidden)"}`);

  // The provider finds it and offers.
  const open = await api.GET("/api/v1/jobs", {
    headers: bearer(providerToken),
    params: { query: { category, limit: 20 } },
  });
  const seen = must(open.data, open.error, "list jobs").items.find((j) => j.id === job.id);
  if (seen?.location.address !== null) {
    throw new Error("a provider must not see the exact address");
  }
  const offered = await api.POST("/api/v1/jobs/{id}/offers", {
    headers: bearer(providerToken),
    params: { path: { id: job.id } },
    body: { price_cents: 9500, message: "I can come this afternoon." },
  });
  const offer = must(offered.data, offered.error, "offer");

  // The customer accepts: a booking.
  const accepted = await api.POST("/api/v1/jobs/{id}/offers/{offer_id}/accept", {
    headers: { ...bearer(customerToken), "Idempotency-Key": `accept-${suffix}` },
    params: { path: { id: job.id, offer_id: offer.id } },
  });
  const booking = must(accepted.data, accepted.error, "accept");
  const startedAt: string | null = booking.started_at;
  console.log(`booking ${booking.id} ${booking.status} (started ${startedAt ?? "not yet"})`);

  // They chat.
  const opened = await api.POST("/api/v1/conversations", {
    headers: bearer(customerToken),
    body: { participant_id: provider.user.id, job_id: job.id },
  });
  const conversation = must(opened.data, opened.error, "conversation");
  const sent = await api.POST("/api/v1/conversations/{id}/messages", {
    headers: bearer(customerToken),
    params: { path: { id: conversation.id } },
    body: { body: "The door code is 1234." },
  });
  const message = must(sent.data, sent.error, "message");
  const inbox = await api.GET("/api/v1/conversations", { headers: bearer(providerToken) });
  for (const c of must(inbox.data, inbox.error, "inbox").items) {
    console.log(`${c.id}: ${c.unread_count} unread, last: ${c.last_message?.body ?? "(none)"}`);
  }
  const read = await api.POST("/api/v1/conversations/{id}/read", {
    headers: bearer(providerToken),
    params: { path: { id: conversation.id } },
    body: { message_id: message.id },
  });
  if (read.response.status !== 204) {
    throw new Error(`read marker: ${read.response.status}`);
  }

  // The work: start, a position, complete.
  const started = await api.POST("/api/v1/bookings/{id}/start", {
    headers: bearer(providerToken),
    params: { path: { id: booking.id } },
  });
  must(started.data, started.error, "start");
  const located = await api.POST("/api/v1/bookings/{id}/location", {
    headers: bearer(providerToken),
    params: { path: { id: booking.id } },
    body: { lat: 38.7105, lng: -9.137 },
  });
  if (located.response.status !== 202) {
    throw new Error(`location: ${located.response.status}`);
  }
  const track = await api.GET("/api/v1/bookings/{id}/location", {
    headers: bearer(customerToken),
    params: { path: { id: booking.id } },
  });
  const latest = must(track.data, track.error, "track").latest;
  console.log(`provider at ${latest ? `${latest.lat},${latest.lng}` : "unknown"}`);
  const completed = await api.POST("/api/v1/bookings/{id}/complete", {
    headers: bearer(providerToken),
    params: { path: { id: booking.id } },
  });
  const done = must(completed.data, completed.error, "complete");
  const status: Schemas["BookingResponse"]["status"] = done.status;
  console.log(`booking ${status} at ${done.completed_at ?? "?"}`);

  // Both rate; the summary shows once revealed.
  for (const token of [customerToken, providerToken]) {
    const rated = await api.POST("/api/v1/bookings/{id}/ratings", {
      headers: bearer(token),
      params: { path: { id: booking.id } },
      body: { stars: 5, comment: "On time and tidy." },
    });
    must(rated.data, rated.error, "rate");
  }
  const ratings = await api.GET("/api/v1/users/{id}/ratings", {
    params: { path: { id: provider.user.id } },
  });
  const summary = must(ratings.data, ratings.error, "ratings").summary;
  console.log(`provider rated ${summary.avg ?? "-"} from ${summary.count}`);

  // Notifications, and a problem the client switches on.
  const notifications = await api.GET("/api/v1/notifications", {
    headers: bearer(providerToken),
    params: { query: { unread: true } },
  });
  for (const n of must(notifications.data, notifications.error, "notifications").items) {
    console.log(`${describeNotification(n)} at ${n.created_at}, read ${n.read_at ?? "never"}`);
  }
  const again = await api.POST("/api/v1/bookings/{id}/ratings", {
    headers: bearer(customerToken),
    params: { path: { id: booking.id } },
    body: { stars: 4 },
  });
  if (again.error?.code !== "already_rated") {
    throw new Error(`rating twice: expected already_rated, got ${again.error?.code ?? again.response.status}`);
  }
  console.log(`rating twice: ${explain(again.error)}`);

  // Account screens: email choices, a reset asked for, a bad link, the export.
  const choices = await api.PUT("/api/v1/users/me/notification-preferences", {
    headers: bearer(customerToken),
    body: { email: { "message.created": false } },
  });
  const email = must(choices.data, choices.error, "preferences").email;
  console.log(`message emails ${email["message.created"] ? "on" : "off"}, offer emails ${email["offer.created"] ? "on" : "off"}`);
  const reset = await api.POST("/api/v1/auth/password-reset", { body: { email: "nobody@example.com" } });
  if (reset.response.status !== 202) {
    throw new Error(`a reset: expected 202, got ${reset.response.status}`);
  }
  const badLink = await api.POST("/api/v1/auth/verify-email", { body: { token: "not-a-link-token" } });
  if (badLink.error?.code !== "invalid_token") {
    throw new Error(`a bad link: expected invalid_token, got ${badLink.error?.code ?? badLink.response.status}`);
  }
  const exported = await api.GET("/api/v1/users/me/export", { headers: bearer(customerToken) });
  const data = must(exported.data, exported.error, "export");
  console.log(`export of ${data.user_id}: ${data.jobs.length} job(s), ${data.bookings.length} booking(s), verified email: ${data.account.email_verified}`);
}

const base = process.argv[2];
if (base !== undefined) {
  walk(base).then(
    () => console.log("the walk is done"),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
