package domain

// Test helpers of this package for its external tests (package domain_test,
// which may import domain/demo).
var (
	CheckFastDecode            = checkFastDecode
	CheckInPlaceFoldsLikeApply = checkInPlaceFoldsLikeApply
	CAACommandTypes            = caaCommandTypes
	CAATestAC                  = caaAC
	CAATestLA                  = caaLA
)
