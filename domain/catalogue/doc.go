// Package catalogue holds the national indicator catalogue aggregate (kind
// "nis", id "catalogue"): [Catalogue] and its [Indicator]s as of a date,
// the import command ([ImportIndicators], built from [IndicatorRow]s parsed
// from CSV), its events, the decision [DecideCatalogue], the fold
// [Catalogue.Apply], the seed taken from the embedded reference data
// ([Seed], [SeedCommand]) and [Register], which records its types in a
// [domain.Registry].
//
// It imports only domain. It must not import the other aggregate packages,
// domain/registry, domain/demo, domain/service, the event store,
// projections or anything under cmd.
package catalogue
