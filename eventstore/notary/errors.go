package notary

import (
	"fmt"

	"github.com/laaledger/laaledger/domain/errcode"
	"github.com/laaledger/laaledger/eventstore"
)

// ErrNotVerified means a checkpoint, a proof or the ledger failed a check
// against another: a signature, a root hash, an inclusion or consistency
// proof. errors.Is(err, eventstore.ErrTampered) is true as well, so that
// callers treat it like a broken hash chain.
var ErrNotVerified error = notVerified{}

type notVerified struct{}

func (notVerified) Error() string        { return "not verified" }
func (notVerified) Is(target error) bool { return target == eventstore.ErrTampered }

// ErrorCode reports the tampered code, as a broken hash chain does.
func (notVerified) ErrorCode() string { return errcode.ETAMPERED }

func notVerifiedf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNotVerified, fmt.Sprintf(format, args...))
}
