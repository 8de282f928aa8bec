package laa

import (
	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/catalogue"
)

// kindTypes is a registry of this package's types and the catalogue's, for
// the tests that encode and decode them (domain/registry imports this
// package, so its tests cannot use that one).
var kindTypes = domain.NewRegistry(catalogue.Register, Register)
