package registry

// Test helpers for the external tests.
var CheckFastDecode = checkFastDecode
