package catalogue

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"
)

// catalogueWire is the encoding of a [Catalogue], history included: the
// history is what decisions and as-of lookups read, so a snapshot without
// it would be an empty catalogue with a version.
type catalogueWire struct {
	Version       int                        `json:"version"`
	LastEffective time.Time                  `json:"last_effective,omitzero"`
	History       map[int][]indicatorVersion `json:"history"`
}

// MarshalJSON encodes the catalogue with every version of every indicator.
func (c Catalogue) MarshalJSON() ([]byte, error) {
	return json.Marshal(catalogueWire{Version: c.Version, LastEffective: c.LastEffective, History: c.history})
}

// UnmarshalJSON decodes what MarshalJSON encodes.
func (c *Catalogue) UnmarshalJSON(data []byte) error {
	var w catalogueWire
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*c = Catalogue{Version: w.Version, LastEffective: w.LastEffective, history: w.History}
	return nil
}

// GobEncode encodes the catalogue with its history, for the service's
// state snapshots.
func (c Catalogue) GobEncode() ([]byte, error) {
	var b bytes.Buffer
	err := gob.NewEncoder(&b).Encode(catalogueWire{Version: c.Version, LastEffective: c.LastEffective, History: c.history})
	return b.Bytes(), err
}

// GobDecode decodes what GobEncode encodes.
func (c *Catalogue) GobDecode(data []byte) error {
	var w catalogueWire
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&w); err != nil {
		return err
	}
	*c = Catalogue{Version: w.Version, LastEffective: w.LastEffective, history: w.History}
	return nil
}

// CSVHeader is the header [WriteIndicatorCSV] writes: the columns of
// refdata/national_indicators.csv, which [ParseIndicatorCSV] reads.
var CSVHeader = []string{"ni", "number", "title", "theme", "data_source", "place_survey", "dcsf_statutory", "status", "source"}

// WriteIndicatorCSV writes indicators in the format [ParseIndicatorCSV]
// reads, so that importing what it wrote changes nothing. A provisional
// title has status provisional_title; dcsf_statutory is "yes" or blank,
// as in the embedded file, which states no statutory set (blank is "not
// stated", and reads as no).
func WriteIndicatorCSV(w io.Writer, inds []Indicator) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	yesNo := func(b bool, no string) string {
		if b {
			return "yes"
		}
		return no
	}
	for _, ind := range inds {
		status := ""
		if ind.TitleProvisional {
			status = "provisional_title"
		}
		rec := []string{fmt.Sprintf("NI %d", ind.NI), strconv.Itoa(ind.NI), ind.Title, ind.Theme, ind.DataSource,
			yesNo(ind.PlaceSurvey, "no"), yesNo(ind.DCSFStatutory, ""), status, ind.Source}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ImportCommandID derives the command id of an import from the file's
// bytes, its effective date, its source and whether it is partial: the
// same file imported the same way is the same command, and the ledger
// records it once.
func ImportCommandID(data []byte, effective time.Time, source string, partial bool) string {
	h := sha256.New()
	h.Write(data)
	h.Write([]byte(effective.Format(time.DateOnly) + "\x00" + source))
	if partial {
		h.Write([]byte("\x00partial"))
	}
	return "nis-import-" + hex.EncodeToString(h.Sum(nil)[:12])
}

// ContentSHA256 is the hex SHA-256 of an import's bytes, the evidence
// an import records.
func ContentSHA256(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
