package catalogue

import "github.com/laaledger/laaledger/domain"

// Register records the catalogue's event and command types in r.
func Register(r *domain.Registry) {
	r.RegisterEvents(1, nil, IndicatorAdded{}, IndicatorRetitled{}, IndicatorReclassified{}, IndicatorWithdrawn{})
	r.RegisterCommands(ImportIndicators{}, SetIndicator{}, WithdrawIndicator{})
}
