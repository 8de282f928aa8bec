// Package eventstore keeps the ledger in NATS JetStream: it starts the
// embedded server (or connects to an external one), sets up and guards the
// ledger stream, appends commands with per-aggregate optimistic concurrency
// and idempotency, chains every event to the previous one of its aggregate
// by hash, and reads the ledger back (one aggregate, the whole stream, or a
// live subscription).
//
// The package knows nothing of LAAs or CAA: event bodies are opaque JSON,
// aggregate kinds and ids are caller-chosen subject tokens, and the stream's
// name and description are configuration ([Config]). It must not import the
// domain, the projections or the HTTP layer, nor anything of this
// repository's programs.
//
// Related packages: [github.com/laaledger/laaledger/eventstore/bundle]
// writes, reads and verifies export bundles offline;
// [github.com/laaledger/laaledger/eventstore/notary] keeps a Merkle tree over
// the stream (read byte-exact with [Store.ReadStored]) and signed checkpoints
// in an auxiliary stream ([Store.EnsureAuxStream]);
// [github.com/laaledger/laaledger/eventstore/estest] starts embedded ledgers
// for tests and reaches the store's NATS connections, which this package
// does not export.
//
// # Layout on JetStream
//
// One stream, LEDGER, on subjects "ledger.>": file storage, DenyDelete and
// DenyPurge, no limit that could drop or expire a message. Each aggregate has
// exactly one subject, ledger.<kind>.<id tokens> (ledger.laa.00EB.2008-11);
// no event-type token, so the number of subjects is the number of aggregates
// (about a thousand for every LAA, CAA and organisational assessment), and a
// subscriber filters by kind or area with a subject wildcard.
//
// One JetStream message per command: a [Commit] that holds the command's
// 1..n events, each with its own aggregate version. A command is therefore
// atomic by construction: the server stores the whole message or nothing.
//
// # What the server guarantees (nats-server v2.15.2, stream.go,
// processJetStreamMsgWithBatch)
//
// Append sends Nats-Expected-Last-Subject-Sequence with the stream sequence
// of the aggregate's last commit (0 for a new aggregate). Before storing, the
// server loads the last message on the message's own subject (or on the
// subject named by Nats-Expected-Last-Subject-Sequence-Subject, which may be
// a wildcard; this store does not need it because an aggregate is one
// literal subject) and refuses with error 10071 ("wrong last sequence: N";
// 10164 on replicated streams) unless its sequence equals the expected one;
// "no message and expected 0" passes. The check and the store happen under
// the stream's lock, so two writers expecting the same sequence cannot both
// succeed. In that version the expectation is checked BEFORE the
// Nats-Msg-Id duplicate check: a retried command whose aggregate has moved on
// comes back as a conflict, not as a duplicate. Append therefore looks for
// the command id in the aggregate's own history first (see below), which
// also covers retries outside the server's duplicate window.
//
// # Why this avoids the problems of goes' abandoned JetStream backend
//
// modernice/goes (backend/natsjs/README.md) gave up on JetStream for three
// reasons. No optimistic concurrency: here every append carries the
// per-subject expectation above. Non-atomic writes to a stream plus a KV
// bucket: here nothing but the one commit message is written, and the
// aggregate's version lives inside it. Memory growing per subject: here the
// subjects are per aggregate, not per event or per event type, so the
// server's per-subject state is bounded by the number of aggregates
// (measured against per-type subjects in docs/PERFORMANCE.md, "Subject
// granularity and server memory").
package eventstore
