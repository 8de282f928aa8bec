// Package actors holds the actor register (kind "actors", id "register"):
// who may act in the ledger, in which role and for which organisation. An
// operator registers and retires actors with [RegisterActor] and
// [RetireActor]; [DecideRegister] decides them and [Register.Apply] folds
// [ActorRegistered] and [ActorRetired].
//
// The register is in use once it holds an active operator ([Register.InUse]).
// From then on every command must come from a registered, active actor
// acting in its registered role for its registered organisation
// ([Register.Check]); before that, actors stand on their tokens alone, so a
// ledger that has never registered anyone behaves as before and the first
// operator cannot lock themselves out while filling the register.
//
// It imports only domain.
package actors
