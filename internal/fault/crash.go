package fault

// Crash points are the places where a process built with the ootsfault tag
// can be made to die at once, as kill -9 (SIGKILL) kills it: no deferred
// call, no flush, no shutdown. The environment variable CrashEnv names the
// point; Crash at that point kills the process. They exist for the tests
// that show that a crash there loses nothing; in a normal build Crash does
// nothing (crash_off.go) and costs nothing. They are not defects (Names):
// a conformance kit has nothing to detect.
const (
	// CrashEnv is the environment variable that names the crash point of
	// a process built with the ootsfault tag.
	CrashEnv = "OOTS_FAULT_CRASH"

	// CrashBeforeReceiptHandOff: an access point recorded a message as
	// delivered and has not handed its receipt to the backend.
	CrashBeforeReceiptHandOff = "before-receipt-handoff"
	// CrashAfterReceiptHandOff: an access point handed a receipt to the
	// backend and has not recorded that it did.
	CrashAfterReceiptHandOff = "after-receipt-handoff"
)
