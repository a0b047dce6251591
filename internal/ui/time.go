package ui

import (
	_ "embed" // the time script
	"html/template"
	"net/http"
	"time"
)

// TimeLayout is how a page writes a time without script: in UTC, which
// every reader can place, labelled as such.
const TimeLayout = "2006-01-02 15:04 UTC"

// Time returns t as a <time> element: its datetime attribute in RFC 3339
// (UTC) and its text in TimeLayout. TimeScript rewrites the text into the
// reader's time zone and language.
func Time(t time.Time) template.HTML {
	u := t.UTC()
	return template.HTML(`<time datetime="` + u.Format(time.RFC3339) + `">` + u.Format(TimeLayout) + `</time>`)
}

// TimeScript returns the script that shows the times of a page (Time) in
// the reader's time zone and language; a service serves it at
// TimeScriptPath (ServeTimeScript), from its own origin, as a content
// security policy without inline script requires.
func TimeScript() string { return timeScript }

//go:embed time.js
var timeScript string

// TimeScriptPath is the path, on every service, of TimeScript.
const TimeScriptPath = "/ui-time.js"

// ServeTimeScript answers GET TimeScriptPath with TimeScript.
func ServeTimeScript(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write([]byte(timeScript))
}
