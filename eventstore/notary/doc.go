// Package notary keeps an RFC 6962 Merkle tree over the ledger stream and
// signs checkpoints of it, so that an auditor can hold the ledger's operator
// to one append-only history.
//
// # The tree
//
// Leaf i is the commit stored at stream sequence i+1; its leaf hash is
// SHA-256(0x00 || the message's bytes exactly as stored), interior nodes
// SHA-256(0x01 || left || right) (RFC 6962, section 2.1). The tree is
// maintained with github.com/transparency-dev/merkle's compact ranges and
// its proofs are built and checked with that module's proof package: there
// is no tree arithmetic here. Every perfect subtree's hash is kept in
// memory (two hashes per commit, 64 bytes; about 64 MiB per million commits),
// rebuilt by reading the stream from sequence 1 at start, or grown by a
// [Builder] from the commits a caller reads anyway (verify checks every hash
// chain in the same pass) and handed to the notary as it opens.
//
// # Checkpoints
//
// A checkpoint is a C2SP tlog-checkpoint (github.com/transparency-dev/formats
// log.Checkpoint) signed as a C2SP signed note with Ed25519
// (golang.org/x/mod/sumdb/note):
//
//	laaledger/LEDGER
//	1042
//	3uQ0d0a0p0Yx5nZ0bB3cUu1pY2Ql0k6c3W4u1H0xkPo=
//	time 2026-12-03T09:41:07.5Z
//
//	— laaledger/LEDGER Az3grlQ…
//
// The first line is the origin (also the key's name), then the tree size,
// the root hash in base64 and one extension line with the time of signing.
// The [Notary] issues one every N commits or T seconds, only for a tree whose
// consistency proof from the previous checkpoint verifies, and stores each
// in its own DenyDelete/DenyPurge stream ([eventstore.AuxStream]).
//
// # Proofs
//
// [InclusionProof] and [ConsistencyProof] are plain data (JSON) that a
// [Verifier] checks with nothing but the verifier key: no server, no
// network. The verification code imports neither NATS nor the store.
//
// The package imports eventstore and the transparency-dev and x/mod
// modules; it must not import the domain, the projections or the HTTP
// layer.
package notary
