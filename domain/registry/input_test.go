package registry

import (
	"strings"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/laa"
)

func TestDecodeCommandRefusesWhatWouldBeStoredUnfaithfully(t *testing.T) {
	const outturn = `{"agreement":"00EB/2008-11","target":"NI-112","year":"2008/09","source":"ONS"`
	for _, tc := range []struct {
		desc, typ, body, rule, field string
	}{
		{"absent value", "laa.RecordOutturn", outturn + `}`, "command.missing_field", `"value"`},
		{"value 1e308", "laa.RecordOutturn", outturn + `,"value":1e308}`, "command.value_out_of_range", `"value"`},
		{"value -1e308", "laa.RecordOutturn", outturn + `,"value":-1e308}`, "command.value_out_of_range", `"value"`},
		{"value beyond float64", "laa.RecordOutturn", outturn + `,"value":1e400}`, "command.value_out_of_range", `"value"`},
		{"year value too large", "laa.ProposeTarget", `{"agreement":"00EB/2008-11","ni":112,"kind":"designated","values":{"2009/10":5e12}}`, "command.value_out_of_range", `"values.2009/10"`},
		{"absent baseline value", "laa.ProposeTarget", `{"agreement":"00EB/2008-11","ni":112,"kind":"designated","baseline":{"year":"2007/08"},"values":{"2009/10":5}}`, "command.missing_field", `"baseline.value"`},
		{"NUL in text", "laa.RecordOutturn", `{"agreement":"00EB/2008-11","target":"NI-112","year":"2008/09","value":1,"source":"ONS\u0000"}`, "command.bad_text", `"source"`},
		{"lone surrogate", "laa.RecordOutturn", `{"agreement":"00EB/2008-11","target":"NI-112","year":"2008/09","value":1,"source":"\ud800"}`, "command.bad_text", `"source"`},
		{"invalid UTF-8", "laa.RecordOutturn", "{\"agreement\":\"00EB/2008-11\",\"target\":\"NI-112\",\"year\":\"2008/09\",\"value\":1,\"source\":\"O\xffNS\"}", "command.bad_text", `"source"`},
		{"escape character", "laa.ProposeTarget", `{"agreement":"00EB/2008-11","ni":112,"kind":"designated","values":{"2009/10":5},"rationale":"a\u001bb"}`, "command.bad_text", `"rationale"`},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			_, err := DecodeCommand(tc.typ, []byte(tc.body))
			if err == nil {
				t.Fatalf("accepted %s", tc.body)
			}
			if got := domain.ErrorRule(err); got != tc.rule {
				t.Fatalf("rule %q (%v), want %q", got, err, tc.rule)
			}
			if domain.ErrorCode(err) != domain.EINVALID || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("error %q (code %s) does not name field %s as invalid", err, domain.ErrorCode(err), tc.field)
			}
		})
	}
}

func TestDecodeCommandAcceptsNegativeValuesAndMultilineText(t *testing.T) {
	body := `{"agreement":"00EB/2008-11","target":"NI-112","year":"2008/09","value":-2.5,"source":"ONS\nrevised\tfigures"}`
	cmd, err := DecodeCommand("laa.RecordOutturn", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if got := cmd.(laa.RecordOutturn).Value; got != -2.5 {
		t.Fatalf("value %v, want -2.5", got)
	}
}

func TestMetaRefusesControlCharactersInReasonAndEvidence(t *testing.T) {
	m := domain.Meta{CommandID: "c1", Actor: domain.Actor{ID: "a", Role: domain.RoleLSP, Organisation: "00EB"}, OccurredAt: time.Date(2009, 1, 1, 0, 0, 0, 0, time.UTC)}
	for _, tc := range []struct {
		desc  string
		set   func(*domain.Meta)
		field string
	}{
		{"reason", func(m *domain.Meta) { m.Reason = "ok\x00" }, `"reason"`},
		{"evidence", func(m *domain.Meta) { m.Evidence = []string{"doc", "bad\ufffd"} }, `"evidence.1"`},
	} {
		bad := m
		tc.set(&bad)
		err := bad.Validate()
		if domain.ErrorRule(err) != "command.bad_text" || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: %v, want command.bad_text naming %s", tc.desc, err, tc.field)
		}
	}
}
