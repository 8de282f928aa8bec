package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/service"
)

// contentDigest derives the variable part of a command id from the
// command's type, the given parts and its JSON body, so that the same
// change given twice is recorded once. Ids already recorded depend on
// these exact bytes: the type, each part and the body, NUL-separated.
func contentDigest(cmd domain.Command, body []byte, parts ...string) string {
	b := []byte(cmd.CommandType() + "\x00")
	for _, p := range parts {
		b = append(b, p+"\x00"...)
	}
	sum := sha256.Sum256(append(b, body...))
	return hex.EncodeToString(sum[:12])
}

// executeOperator records an operator's command on the ledger in the data
// directory. The catalogue's seed is the ledger's own first command: it
// is recorded first, before any change that would build on it or have to
// name its actor in the register.
func executeOperator(ctx context.Context, c *call, m domain.Meta, cmd domain.Command) (service.Result, error) {
	s, err := c.ledger(ctx)
	if err != nil {
		return service.Result{}, err
	}
	svc := service.New(s, service.Kinds())
	if err := ensureCatalogueSeed(ctx, svc); err != nil {
		return service.Result{}, err
	}
	return svc.Execute(ctx, m, cmd, nil)
}
