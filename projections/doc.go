// Package projections builds the read models that auditors, scrutiny
// committees and dashboards query, from the ledger stream alone.
//
// A [Runner] reads the stream in order through [eventstore.Store.Subscribe]
// (catch-up, then live), hands every commit to each registered [ReadModel],
// and persists each model's state together with the stream sequence it
// reflects in a snapshot file. A restart restores the snapshot and replays
// only the tail; a model whose [ReadModel.Version] changed starts again from
// sequence 1 on its own while the others carry on. [Runner.WaitFor] gives
// the API read-your-writes: a command's response carries its sequence and a
// query may wait, with a deadline, until the runner has applied it.
//
// A [Reader] is the one query service over the read models: current and
// as-of states, replays and histories, timelines, negotiation rounds, one
// indicator across areas and the dashboard. It folds with the domain's own
// pure folds, registered once by aggregate kind ([Kinds]), and names the two
// clocks of an as-of view once ([Basis]: as recorded at, as now known at).
// The HTTP API and the CLI both ask it.
//
// Read models keep their state in memory (see docs/PERFORMANCE.md,
// "Projections", for the measurements behind that choice).
//
// The package owns the read models, their snapshots and the runner's
// position. It may import eventstore and domain; it must not import the
// write side (domain/service), the demo histories, scripts/, the HTTP layer
// or the CLI. Its tests and benchmarks, in the external package
// projections_test, generate ledgers through scripts/genhistory.
package projections
