package laa

import (
	"github.com/laaledger/laaledger/domain"
)

// FlagView answers, without I/O, the cross-aggregate question an LAA refresh
// asks when it reopens a locked target on CAA grounds. The caller builds it
// from the area assessments' events (a read model) and passes it to the
// decision; the LAA decision never reads the CAA stream itself.
type FlagView interface {
	// Flag returns the flag as it stands, and false if there is none. An
	// error means the flag could not be read (the decision fails with it
	// rather than deciding as if there were no flag).
	Flag(ref domain.FlagRef) (domain.FlagInfo, bool, error)
}
