package laa

// Test helpers for the external tests.
var CheckInPlaceFoldsLikeApply = checkInPlaceFoldsLikeApply
