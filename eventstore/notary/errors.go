package notary

import (
	"fmt"

	"github.com/laaledger/laaledger/eventstore"
)

// ErrNotVerified means a checkpoint, a proof or the ledger failed a check
// against another: a signature, a root hash, an inclusion or consistency
// proof. errors.Is(err, eventstore.ErrTampered) is true as well, so that
// callers treat it like a broken hash chain.
var ErrNotVerified error = &eventstore.TamperedError{Message: "not verified"}

func notVerifiedf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNotVerified, fmt.Sprintf(format, args...))
}
