// Package clustertest runs the ledger against a three-node NATS cluster
// started in-process on loopback: real nats-server nodes with cluster routes,
// JetStream on each, decentralised (JWT) authentication with the service and
// administrator users the store expects of an external server, and the
// ledger stream with three replicas. Its tests shut nodes down and restart
// them while appends run.
//
// Only tests live here; the package must not be imported. The opt-in
// reproductions in repro_test.go also drive domain/service, to show a fault
// the way a serve process meets it.
package clustertest
