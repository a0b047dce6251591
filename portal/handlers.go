package portal

// The handlers are kept in files by job, in the order of the journey
// (SPEC.md §1.2); the routes are listed in Portal.Handler.
//
//	home.go         the home page, the footer's page, starting a journey
//	login.go        login (step 1), the identity provider's callback, logout
//	journey.go      the journey page and its live status banner
//	journeyview.go  what the journey page shows of each requirement
//	status.go       the journey page's status API (JSON for journey.js)
//	choices.go      the forms of a requirement: choices, explicit request
//	                (step 2), skip, retry
//	evidence.go     an evidence file of the journey
//	prefill.go      the procedure's application form, pre-filled
//	submission.go   the summary, the submission (step 7) and its page
//	datause.go      the user's view of the exchanges about them
//	web.go          sessions, forms, CSRF, languages and rendering

import "github.com/oots-go/oots/internal/ui"

// Log attribute keys.
const (
	logJourney     = "journey"
	logRequirement = "requirement"
	logErr         = "err"
	logProcedure   = "procedure"
	logCountry     = "country"
	logIssuer      = "issuer"
	logLoA         = "loa"
	logCompany     = "company"
	logEvidence    = "evidence"
	logReference   = "reference"
	logPath        = "path"
	logPage        = "page"
	logSession     = "session"
)

// timeLayout is how times are written in sentences (in UTC, which every
// reader can place); elsewhere a page shows ui.Time, which the page's
// script puts into the reader's time zone.
const timeLayout = ui.TimeLayout
