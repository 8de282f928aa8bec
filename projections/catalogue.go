package projections

import (
	"context"
	"time"

	"github.com/laaledger/laaledger/domain/catalogue"
)

// CatalogueView is the indicator catalogue as it stood on a business date:
// every indicator then catalogued, by number, with the catalogue's version
// (the number of catalogue events recorded) and the read models' position.
type CatalogueView struct {
	At         time.Time             `json:"at"`
	Version    int                   `json:"version"`
	Indicators []catalogue.Indicator `json:"indicators"`
	Position   uint64                `json:"position,omitempty"`
}

// Catalogue returns the indicator catalogue as it stood at business time
// at (now for the zero time), folded from its events as recorded so far.
// A ledger whose catalogue was never seeded has an empty catalogue.
func (q *Reader) Catalogue(ctx context.Context, at time.Time) (CatalogueView, error) {
	pos := q.runner.Position()
	cat, err := q.currentCatalogue()
	if err != nil {
		return CatalogueView{}, err
	}
	if at.IsZero() {
		at = time.Now().UTC()
	}
	inds := cat.Indicators(at)
	if inds == nil {
		inds = []catalogue.Indicator{}
	}
	return CatalogueView{At: at, Version: cat.Version, Indicators: inds, Position: pos}, nil
}
