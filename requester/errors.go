package requester

import (
	"errors"
	"net/http"
)

// Errors of the Service. Every error a Connector or a Client returns for a
// condition the portal can act on wraps one of them (errors.Is).
var (
	// ErrNotFound: no such journey, requirement or evidence.
	ErrNotFound = errors.New("requester: not found")
	// ErrInvalid: the input is wrong; a *FieldError names the field.
	ErrInvalid = errors.New("requester: invalid input")
	// ErrState: the step is out of order (a choice after the request was
	// sent, a request before the choices are complete, …).
	ErrState = errors.New("requester: step out of order")
	// ErrUnavailable: the Common Services or the access point could not
	// answer; the portal may try again later.
	ErrUnavailable = errors.New("requester: service unavailable")
	// ErrUnauthorized: the REST API's bearer token is missing or wrong.
	ErrUnauthorized = errors.New("requester: unauthorized")
)

// FieldError is invalid input in one field of a request to the Service. It
// matches ErrInvalid.
type FieldError struct {
	Field  string // the JSON name of the field, e.g. "subject.person"
	Reason string
}

func (e *FieldError) Error() string { return "requester: " + e.Field + ": " + e.Reason }

// Unwrap returns ErrInvalid.
func (e *FieldError) Unwrap() error { return ErrInvalid }

func invalid(field, reason string) error { return &FieldError{Field: field, Reason: reason} }

// The error catalogue of the REST API: the code of the JSON error body and the
// HTTP status of each error.
var apiErrors = []struct {
	err    error
	code   string
	status int
}{
	{ErrNotFound, "not_found", http.StatusNotFound},
	{ErrInvalid, "invalid", http.StatusBadRequest},
	{ErrState, "state", http.StatusConflict},
	{ErrUnavailable, "unavailable", http.StatusBadGateway},
	{ErrUnauthorized, "unauthorized", http.StatusUnauthorized},
}

// apiError is the JSON body of an error answer of the REST API.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// toAPI maps an error to its JSON body and HTTP status; unknown errors are
// internal errors.
func toAPI(err error) (apiError, int) {
	body := apiError{Code: "internal", Message: err.Error()}
	status := http.StatusInternalServerError
	for _, e := range apiErrors {
		if errors.Is(err, e.err) {
			body.Code, status = e.code, e.status
			break
		}
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		body.Field, body.Message = fe.Field, fe.Reason
	}
	return body, status
}

// remoteError is an error answer of the REST API as the Client returns it;
// it matches the sentinel of its code.
type remoteError struct {
	apiError
	status int
}

func (e *remoteError) Error() string {
	return "requester: " + http.StatusText(e.status) + ": " + e.Code + ": " + e.Message
}

func (e *remoteError) Unwrap() error {
	for _, a := range apiErrors {
		if a.code == e.Code {
			return a.err
		}
	}
	return nil
}

// fromAPI turns an error body into the error the Connector would have
// returned: a *FieldError for a field error, else an error matching the
// code's sentinel.
func fromAPI(body apiError, status int) error {
	if body.Code == "invalid" && body.Field != "" {
		return &FieldError{Field: body.Field, Reason: body.Message}
	}
	return &remoteError{apiError: body, status: status}
}
