// Package api is the HTTP interface of laaledger: commands, queries, the
// live event stream, health and metrics, under /v1, described by an OpenAPI
// 3 document kept beside the code (openapi.yaml) and served at
// /v1/openapi.json and /v1/openapi.yaml.
//
// [New] builds a [Server], an http.Handler, from a [Config]: the command
// [Executor] (*service.Service), the read side ([Queries] and [Progress]:
// *projections.Reader, the query service the CLI asks too), the [Feed] for
// server-sent events
// (*eventstore.Store) and the bearer [Tokens]. The package imports the
// domain and the event store's types; it decides nothing itself: the domain
// refuses commands and says which rule refused, and [problemFor] is the one
// place that turns any error into a status and a stable problem code.
//
// Authentication is by bearer token only, and the actor of a command comes
// from its token, never from its body. /healthz, /readyz and the OpenAPI
// document need no token; /metrics does (any role), so that nothing about
// the ledger's activity is readable without one.
//
// The document is validated against with github.com/getkin/kin-openapi
// (openapi3filter) in the tests rather than generating the server with
// oapi-codegen: the command endpoints are one per registered domain command
// and their body schemas are derived from the commands' Go types when the
// server starts, so the document follows the domain without a generation
// step, and the hand-written handlers keep the one error mapping and the
// strict decoding (unknown fields refused) that the domain's DecodeCommand
// already does. The tests check every request and response they make
// against the served document, so the two cannot drift silently.
package api
