package api

import (
	"mime"
	"net/http"
	"strings"

	"github.com/laaledger/laaledger/eventstore/cloudevent"
)

// Formats of the event stream's data lines.
const (
	// formatLedger is the default: a [FeedEvent], the envelope as stored.
	formatLedger = "ledger"
	// formatCloudEvents is one CloudEvent in the structured JSON mode
	// (see package cloudevent), for integrators with a CloudEvents SDK.
	formatCloudEvents = "cloudevents"
)

// streamFormat reports whether the client asked for CloudEvents: by
// ?format=cloudevents, or, for clients that cannot change the URL, by
// listing application/cloudevents+json in Accept. The query wins; without
// either the stream keeps its original format, so existing clients see no
// change.
func streamFormat(r *http.Request) (cloudEvents bool, err error) {
	switch f := r.URL.Query().Get("format"); f {
	case formatCloudEvents:
		return true, nil
	case formatLedger:
		return false, nil
	case "":
	default:
		return false, badRequest("bad_request", "format must be "+formatLedger+" or "+formatCloudEvents)
	}
	for _, part := range strings.Split(strings.Join(r.Header.Values("Accept"), ","), ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err == nil && mt == cloudevent.ContentType && params["q"] != "0" {
			return true, nil
		}
	}
	return false, nil
}
