package caa

// Test helpers for the external tests.
var (
	CommandTypes = caaCommandTypes
	TestAC       = caaAC
	TestLA       = caaLA
)
