package eventstore

import (
	"strings"
	"unicode"
)

// SubjectPrefix is the first token of every ledger subject.
const SubjectPrefix = "ledger"

// Aggregate names one aggregate: its kind and its id, whose tokens are
// joined by "/" ("00EB/2008-11").
type Aggregate struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

func (a Aggregate) String() string { return a.Kind + " " + a.ID }

// Subject returns the aggregate's subject, ledger.<kind>.<id tokens>, or an
// ErrInvalid error naming the bad token.
func (a Aggregate) Subject() (string, error) {
	if err := validToken("kind", a.Kind); err != nil {
		return "", err
	}
	if a.ID == "" {
		return "", invalidf("aggregate %s: empty id", a.Kind)
	}
	for rest := a.ID; ; {
		t, after, more := strings.Cut(rest, "/")
		if validToken("", t) != nil {
			// The name is built only for the error: this runs on every
			// append.
			return "", validToken("id "+a.ID, t)
		}
		if !more {
			break
		}
		rest = after
	}
	return SubjectPrefix + "." + a.Kind + "." + strings.ReplaceAll(a.ID, "/", "."), nil
}

// AggregateOfSubject is the inverse of [Aggregate.Subject].
func AggregateOfSubject(subject string) (Aggregate, error) {
	toks := strings.Split(subject, ".")
	if len(toks) < 3 || toks[0] != SubjectPrefix {
		return Aggregate{}, invalidf("subject %q is not a ledger subject", subject)
	}
	return Aggregate{Kind: toks[1], ID: strings.Join(toks[2:], "/")}, nil
}

// FilterSubject returns a subject filter for a kind and optional leading id
// tokens: FilterSubject("laa", "00EB") is ledger.laa.00EB.>; an empty kind
// matches the whole ledger.
func FilterSubject(kind string, idTokens ...string) (string, error) {
	if kind == "" {
		return SubjectPrefix + ".>", nil
	}
	if err := validToken("kind", kind); err != nil {
		return "", err
	}
	for _, t := range idTokens {
		if err := validToken("filter", t); err != nil {
			return "", err
		}
	}
	return strings.Join(append([]string{SubjectPrefix, kind}, idTokens...), ".") + ".>", nil
}

// validToken refuses what NATS would read as a separator or a wildcard, and
// anything invisible.
func validToken(what, t string) error {
	if t == "" {
		return invalidf("%s: empty subject token", what)
	}
	for _, r := range t {
		if r == '.' || r == '*' || r == '>' || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return invalidf("%s: subject token %q contains %q", what, t, r)
		}
	}
	return nil
}
