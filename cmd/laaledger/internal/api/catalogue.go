package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/catalogue"
	"github.com/laaledger/laaledger/projections"
)

// MaxImportBytes bounds the body of a catalogue import: the whole National
// Indicator Set with a source per row is a few tens of kilobytes.
const MaxImportBytes = 4 << 20

// exportCatalogue serves the indicator catalogue as of a business date,
// as JSON or in the CSV format the import reads.
func (s *Server) exportCatalogue(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	at, err := parseDate(q.Get("at"), "at")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	format := q.Get("format")
	if format == "" {
		format = "json"
		if strings.Contains(r.Header.Get("Accept"), "text/csv") {
			format = "csv"
		}
	}
	if format != "json" && format != "csv" {
		s.writeError(w, r, badRequest("bad_request", "format must be csv or json"))
		return
	}
	v, ok := query(s, w, r, func(q Queries, ctx context.Context) (projections.CatalogueView, error) {
		return q.Catalogue(ctx, at)
	})
	if !ok {
		return
	}
	w.Header().Set("ETag", strconv.Quote(strconv.Itoa(v.Version)))
	if format == "json" {
		writeJSON(w, http.StatusOK, v)
		return
	}
	var b bytes.Buffer
	if err := catalogue.WriteIndicatorCSV(&b, v.Indicators); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="national_indicators.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b.Bytes())
}

// importCatalogue records a CSV file as one nis.ImportIndicators command.
// The operator alone may import. Without an Idempotency-Key the command id
// is derived from the file, its date, its source and whether it is
// partial (catalogue.ImportCommandID, as the CLI derives it offline), so
// the same file sent twice is recorded once.
func (s *Server) importCatalogue(w http.ResponseWriter, r *http.Request) {
	actor, _ := ActorFrom(r.Context())
	if actor.Role != domain.RoleOperator {
		s.writeError(w, r, &requestError{status: http.StatusForbidden, code: "nis.operator_only",
			msg: "only the operator role may import indicators; " + string(actor.Role) + " may not"})
		return
	}
	meta, cmd, err := s.decodeImport(w, r, actor)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.execute(w, r, meta, cmd, nil)
}

func (s *Server) decodeImport(w http.ResponseWriter, r *http.Request, actor domain.Actor) (domain.Meta, domain.Command, error) {
	q := r.URL.Query()
	if q.Get("effective") == "" {
		return domain.Meta{}, nil, badRequest("missing_effective", "effective (the business date the file holds from, YYYY-MM-DD) is required")
	}
	eff, err := parseDate(q.Get("effective"), "effective")
	if err != nil {
		return domain.Meta{}, nil, err
	}
	source := strings.TrimSpace(q.Get("source"))
	if source == "" {
		return domain.Meta{}, nil, badRequest("missing_source", "source (where the file comes from) is required")
	}
	partial := false
	if v := q.Get("partial"); v != "" {
		if partial, err = strconv.ParseBool(v); err != nil {
			return domain.Meta{}, nil, badRequest("bad_request", "partial must be true or false")
		}
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "text/csv" {
			return domain.Meta{}, nil, &requestError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type", msg: "the body must be text/csv with the columns of national_indicators.csv"}
		}
	}
	key := r.Header.Get("Idempotency-Key")
	if key != "" && (len(key) > maxKeyLen || strings.IndexFunc(key, func(c rune) bool { return c < 0x21 || c > 0x7e }) >= 0) {
		return domain.Meta{}, nil, badRequest("bad_idempotency_key", "Idempotency-Key must be 1 to 128 printable ASCII characters without spaces")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxImportBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return domain.Meta{}, nil, &requestError{status: http.StatusRequestEntityTooLarge, code: "body_too_large",
				msg: "the file is larger than the limit of " + strconv.FormatInt(mbe.Limit, 10) + " bytes"}
		}
		return domain.Meta{}, nil, badRequest("bad_request", "reading the body: "+err.Error())
	}
	rows, err := catalogue.ParseIndicatorCSV(bytes.NewReader(body))
	if err != nil {
		return domain.Meta{}, nil, &decodeError{err}
	}
	if key == "" {
		key = catalogue.ImportCommandID(body, eff, source, partial)
	}
	meta := domain.Meta{CommandID: key, Actor: actor, OccurredAt: eff, Reason: "import of " + source,
		Evidence: []string{source, "sha256:" + catalogue.ContentSHA256(body)}, CorrelationID: correlationID(r.Context())}
	return meta, catalogue.ImportIndicators{Rows: rows, Source: source, EffectiveFrom: eff, Partial: partial}, nil
}

// parseDate reads an optional YYYY-MM-DD query parameter as midnight UTC.
func parseDate(v, name string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, badRequest("bad_request", name+" must be a date, YYYY-MM-DD")
	}
	return t, nil
}
